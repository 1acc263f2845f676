/* softmax.c - Softmax.  Before opset 13 the input is coerced to 2-D at
 * `axis` (default 1) and normalised over everything after it; from opset 13
 * it is normalised along the one axis (default -1).
 */
#include "ops.h"

#include <math.h>

typedef struct
{
  gint64 axis;
} SoftmaxParams;

static gboolean
softmax_init (const GnetNode * node, gpointer params, GError ** error)
{
  SoftmaxParams *p = params;

  return gnet__attr_int (node, "axis", node->opset >= 13 ? -1 : 1, &p->axis,
      error);
}

/* outer x n x inner: softmax over n, elements `inner` apart. */
static void
softmax_layout (const GnetNode * node, const GnetView * x, gint64 axis,
    gint64 * outer, gint64 * n, gint64 * inner)
{
  *outer = *n = *inner = 1;
  for (guint i = 0; i < x->ndim; i++) {
    if ((gint64) i < axis)
      *outer *= x->dims[i];
    else if ((gint64) i == axis || node->opset < 13)
      *n *= x->dims[i];
    else
      *inner *= x->dims[i];
  }
}

static gboolean
softmax_infer (const GnetNode * node, const GnetView * in, GnetView * out,
    GnetOpCost * cost, GError ** error)
{
  const SoftmaxParams *p = node->params;
  gint64 axis;

  if (!gnet__check_float (&in[0], "input", error))
    return FALSE;
  if (in[0].ndim == 0) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
        "input must have at least one dimension");
    return FALSE;
  }
  if (!gnet__normalize_axis (p->axis, in[0].ndim, FALSE, &axis, error))
    return FALSE;
  gnet__out_like (&out[0], &in[0]);
  cost->macs = 0;
  cost->scratch_bytes = 0;
  return TRUE;
}

static void
softmax_forward (const GnetNode * node, const GnetView * in, GnetView * out,
    gpointer scratch)
{
  const SoftmaxParams *p = node->params;
  gint64 axis = p->axis < 0 ? p->axis + in[0].ndim : p->axis;
  gint64 outer, n, inner;

  softmax_layout (node, &in[0], axis, &outer, &n, &inner);
  for (gint64 o = 0; o < outer; o++) {
    for (gint64 j = 0; j < inner; j++) {
      const gfloat *x = (const gfloat *) in[0].data + o * n * inner + j;
      gfloat *y = (gfloat *) out[0].data + o * n * inner + j;
      gfloat max = -INFINITY, sum = 0.0f, inv;

      /* Subtracting the maximum keeps expf finite. */
      for (gint64 i = 0; i < n; i++)
        max = x[i * inner] > max ? x[i * inner] : max;
      for (gint64 i = 0; i < n; i++) {
        y[i * inner] = expf (x[i * inner] - max);
        sum += y[i * inner];
      }
      inv = 1.0f / sum;
      for (gint64 i = 0; i < n; i++)
        y[i * inner] *= inv;
    }
  }
}

const GnetOp gnet__op_softmax = {
  .type = "Softmax",
  .min_opset = 1,
  .params_size = sizeof (SoftmaxParams),
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 1,
  .init = softmax_init,
  .infer = softmax_infer,
  .forward = softmax_forward,
};
