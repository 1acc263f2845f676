/* batchnorm.c - BatchNormalization at inference:
 *   y = (x - mean) / sqrt(var + epsilon) * scale + B,  per channel (axis 1).
 * The load-time optimizer usually folds it into the preceding Conv.
 */
#include "ops.h"

#include <math.h>

typedef struct
{
  gfloat epsilon;
} BatchNormParams;

static gboolean
batchnorm_init (const GnetNode * node, gpointer params, GError ** error)
{
  BatchNormParams *p = params;
  gint64 spatial, training;

  if (!gnet__attr_float (node, "epsilon", 1e-5f, &p->epsilon, error)
      || !gnet__attr_int (node, "spatial", 1, &spatial, error)
      || !gnet__attr_int (node, "training_mode", 0, &training, error))
    return FALSE;
  if (p->epsilon < 0.0f) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_ATTRIBUTE,
        "epsilon is %g, must not be negative", p->epsilon);
    return FALSE;
  }
  if (spatial != 1) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
        "spatial = %" G_GINT64_FORMAT " is not supported", spatial);
    return FALSE;
  }
  /* The running statistics outputs only exist in training. */
  if (training != 0 || (node->n_outputs > 1 && node->outputs[1] >= 0)) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
        "training mode is not supported");
    return FALSE;
  }
  return TRUE;
}

static gboolean
batchnorm_infer (const GnetNode * node, const GnetView * in, GnetView * out,
    GnetOpCost * cost, GError ** error)
{
  static const gchar *const names[] = { "X", "scale", "B", "mean", "var" };
  const GnetView *x = &in[0];

  for (guint i = 0; i < 5; i++)
    if (!gnet__check_float (&in[i], names[i], error))
      return FALSE;
  if (x->ndim < 2) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
        "X has rank %u, needs at least N x C", x->ndim);
    return FALSE;
  }
  for (guint i = 1; i < 5; i++) {
    if (in[i].ndim != 1 || in[i].dims[0] != x->dims[1]) {
      g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
          "%s must be a vector of %" G_GINT64_FORMAT " values", names[i],
          x->dims[1]);
      return FALSE;
    }
  }
  gnet__out_like (&out[0], x);
  cost->macs = (guint64) gnet__view_numel (x);
  cost->scratch_bytes = 0;
  return TRUE;
}

static void
batchnorm_forward (const GnetNode * node, const GnetView * in,
    GnetView * out, gpointer scratch)
{
  const BatchNormParams *p = node->params;
  const gfloat *scale = in[1].data, *bias = in[2].data;
  const gfloat *mean = in[3].data, *var = in[4].data;
  const gint64 n = in[0].dims[0], c = in[0].dims[1];
  const gint64 plane = gnet__view_numel (&in[0]) / MAX (n * c, 1);
  gint64 nb, item, bstride;

  gnet__out_items (&out[0], &nb, &item, &bstride);
  for (gint64 b = 0; b < n; b++) {
    for (gint64 k = 0; k < c; k++) {
      const gfloat *x = (const gfloat *) in[0].data + (b * c + k) * plane;
      gfloat *y = (gfloat *) out[0].data + b * bstride + k * plane;
      gfloat s = scale[k] / sqrtf (var[k] + p->epsilon);
      gfloat t = bias[k] - mean[k] * s;

      for (gint64 i = 0; i < plane; i++)
        y[i] = x[i] * s + t;
    }
  }
}

const GnetOp gnet__op_batchnorm = {
  .type = "BatchNormalization",
  .min_opset = 7,
  .params_size = sizeof (BatchNormParams),
  .min_inputs = 5,.max_inputs = 5,
  .min_outputs = 1,.max_outputs = 5,
  .flags = GNET_OP_STRIDED_OUTPUT,
  .init = batchnorm_init,
  .infer = batchnorm_infer,
  .forward = batchnorm_forward,
};
