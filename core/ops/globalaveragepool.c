/* globalaveragepool.c - GlobalAveragePool: the mean of every channel over
 * all spatial axes (any rank >= 3).
 */
#include "ops.h"

static gboolean
globalaveragepool_infer (const GnetNode * node, const GnetView * in,
    GnetView * out, GnetOpCost * cost, GError ** error)
{
  const GnetView *x = &in[0];

  if (!gnet__check_float (x, "X", error))
    return FALSE;
  if (x->ndim < 3) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
        "X has rank %u, needs N x C and at least one spatial axis", x->ndim);
    return FALSE;
  }
  out[0].dtype = GNET_DTYPE_FLOAT32;
  out[0].ndim = x->ndim;
  out[0].dims[0] = x->dims[0];
  out[0].dims[1] = x->dims[1];
  for (guint i = 2; i < x->ndim; i++)
    out[0].dims[i] = 1;
  cost->macs = 0;
  cost->scratch_bytes = 0;
  return TRUE;
}

static void
globalaveragepool_forward (const GnetNode * node, const GnetView * in,
    GnetView * out, gpointer scratch)
{
  const gfloat *x = in[0].data;
  gint64 n = in[0].dims[0], c = in[0].dims[1];
  gint64 size = gnet__view_numel (&in[0]) / MAX (n * c, 1);
  gfloat inv = size > 0 ? 1.0f / (gfloat) size : 0.0f;
  gint64 nb, item, bstride;

  gnet__out_items (&out[0], &nb, &item, &bstride);
  for (gint64 b = 0; b < n; b++) {
    gfloat *y = (gfloat *) out[0].data + b * bstride;

    for (gint64 k = 0; k < c; k++) {
      const gfloat *p = x + (b * c + k) * size;
      gfloat sum = 0.0f;

      for (gint64 i = 0; i < size; i++)
        sum += p[i];
      y[k] = sum * inv;
    }
  }
}

const GnetOp gnet__op_globalaveragepool = {
  .type = "GlobalAveragePool",
  .min_opset = 1,
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 1,
  .flags = GNET_OP_STRIDED_OUTPUT,
  .infer = globalaveragepool_infer,
  .forward = globalaveragepool_forward,
};
