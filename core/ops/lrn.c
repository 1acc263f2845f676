/* lrn.c - LRN across channels:
 *   y = x / (bias + alpha / size * sum of x^2 over nearby channels)^beta
 * The sum of squares slides over the channels (one add and one subtract
 * per element), kept for a whole plane in the scratch buffer.
 */
#include "ops.h"

#include <math.h>
#include <string.h>

typedef struct
{
  gfloat alpha;
  gfloat beta;
  gfloat bias;
  gint64 size;
} LrnParams;

static gboolean
lrn_init (const GnetNode * node, gpointer params, GError ** error)
{
  LrnParams *p = params;

  if (!gnet__attr_float (node, "alpha", 1e-4f, &p->alpha, error)
      || !gnet__attr_float (node, "beta", 0.75f, &p->beta, error)
      || !gnet__attr_float (node, "bias", 1.0f, &p->bias, error)
      || !gnet__attr_int (node, "size", 0, &p->size, error))
    return FALSE;
  if (gnet__node_attr (node, "size") == NULL) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_ATTRIBUTE,
        "size is required");
    return FALSE;
  }
  if (p->size < 1) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_ATTRIBUTE,
        "size is %" G_GINT64_FORMAT ", must be at least 1", p->size);
    return FALSE;
  }
  return TRUE;
}

static gboolean
lrn_infer (const GnetNode * node, const GnetView * in, GnetView * out,
    GnetOpCost * cost, GError ** error)
{
  const GnetView *x = &in[0];

  if (!gnet__check_float (x, "X", error))
    return FALSE;
  if (x->ndim < 2) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
        "X has rank %u, needs at least N x C", x->ndim);
    return FALSE;
  }
  gnet__out_like (&out[0], x);
  cost->macs = (guint64) gnet__view_numel (x) * 3;
  cost->scratch_bytes = (gsize) (gnet__view_numel (x) /
      MAX (x->dims[0] * x->dims[1], 1)) * sizeof (gfloat);
  return TRUE;
}

static inline void
add_squares (gfloat * sum, const gfloat * x, gint64 n, gfloat sign)
{
  for (gint64 i = 0; i < n; i++)
    sum[i] += sign * x[i] * x[i];
}

static void
lrn_forward (const GnetNode * node, const GnetView * in, GnetView * out,
    gpointer scratch)
{
  const LrnParams *p = node->params;
  const gint64 n = in[0].dims[0], c = in[0].dims[1];
  const gint64 plane = gnet__view_numel (&in[0]) / MAX (n * c, 1);
  /* Channels c - lo .. c + hi inclusive (ONNX: floor / ceil of (size-1)/2). */
  const gint64 lo = (p->size - 1) / 2, hi = p->size - 1 - lo;
  const gfloat scale = p->alpha / (gfloat) p->size;
  const gboolean three_quarters = p->beta == 0.75f;
  gfloat *sum = scratch;
  gint64 nb, item, bstride;

  gnet__out_items (&out[0], &nb, &item, &bstride);
  for (gint64 b = 0; b < n; b++) {
    const gfloat *x = (const gfloat *) in[0].data + b * c * plane;
    gfloat *y = (gfloat *) out[0].data + b * bstride;

    memset (sum, 0, (gsize) plane * sizeof (gfloat));
    for (gint64 k = 0; k <= hi && k < c; k++)
      add_squares (sum, x + k * plane, plane, 1.0f);

    for (gint64 k = 0; k < c; k++) {
      const gfloat *xk = x + k * plane;
      gfloat *yk = y + k * plane;

      if (three_quarters) {
        /* t^-0.75 = 1 / (sqrt(t) * sqrt(sqrt(t))): two square roots are
         * much cheaper than powf. */
        for (gint64 i = 0; i < plane; i++) {
          gfloat t = p->bias + scale * MAX (sum[i], 0.0f);
          gfloat r = sqrtf (t);

          yk[i] = xk[i] / (r * sqrtf (r));
        }
      } else {
        for (gint64 i = 0; i < plane; i++)
          yk[i] = xk[i] * powf (p->bias + scale * MAX (sum[i], 0.0f),
              -p->beta);
      }
      if (k + hi + 1 < c)
        add_squares (sum, x + (k + hi + 1) * plane, plane, 1.0f);
      if (k - lo >= 0)
        add_squares (sum, x + (k - lo) * plane, plane, -1.0f);
    }
  }
}

const GnetOp gnet__op_lrn = {
  .type = "LRN",
  .min_opset = 1,
  .params_size = sizeof (LrnParams),
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 1,
  .flags = GNET_OP_STRIDED_OUTPUT,
  .init = lrn_init,
  .infer = lrn_infer,
  .forward = lrn_forward,
};
