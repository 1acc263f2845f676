/* reshape.c - Reshape to a constant shape (0 copies a dimension unless
 * allowzero, -1 is inferred): a view, no copy.
 */
#include "ops.h"

typedef struct
{
  gboolean allowzero;
} ReshapeParams;

static gboolean
reshape_init (const GnetNode * node, gpointer params, GError ** error)
{
  ReshapeParams *p = params;
  gint64 allowzero;

  if (!gnet__attr_int (node, "allowzero", 0, &allowzero, error))
    return FALSE;
  if (allowzero != 0 && allowzero != 1) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_ATTRIBUTE,
        "allowzero is %" G_GINT64_FORMAT ", must be 0 or 1", allowzero);
    return FALSE;
  }
  p->allowzero = allowzero;
  return TRUE;
}

static gboolean
reshape_infer (const GnetNode * node, const GnetView * in, GnetView * out,
    GnetOpCost * cost, GError ** error)
{
  const ReshapeParams *p = node->params;
  const GnetView *shape = &in[1];
  const gint64 *want;
  gint64 numel = gnet__view_numel (&in[0]), known = 1;
  gint infer_at = -1, i;

  if (shape->dtype != GNET_DTYPE_INT64 || shape->ndim != 1)
    goto bad_shape;
  if (shape->data == NULL)
    goto not_const;
  if (shape->dims[0] > GNET_MAX_DIMS)
    goto too_many;
  want = shape->data;
  for (i = 0; i < shape->dims[0]; i++) {
    gint64 d = want[i];

    if (d == 0 && !p->allowzero) {
      if (i >= (gint) in[0].ndim)
        goto bad_zero;
      d = in[0].dims[i];
    } else if (d == -1) {
      if (infer_at >= 0)
        goto two_minus_one;
      infer_at = i;
      d = 1;
    } else if (d < 0)
      goto negative;
    out[0].dims[i] = d;
    if (i != infer_at) {
      /* A hostile shape must not overflow the product. */
      if (d > 0 && known > G_MAXINT64 / d)
        goto mismatch;
      known *= d;
    }
  }
  if (infer_at >= 0) {
    if (known == 0 || numel % known != 0)
      goto mismatch;
    out[0].dims[infer_at] = numel / known;
  } else if (known != numel)
    goto mismatch;
  out[0].dtype = in[0].dtype;
  out[0].ndim = shape->dims[0];
  cost->macs = 0;
  cost->scratch_bytes = 0;
  return TRUE;

  /* ERRORS */
bad_shape:
  g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
      "shape must be a 1-D int64 tensor");
  return FALSE;
not_const:
  g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
      "shape must be a constant (or an int64 input given at plan time)");
  return FALSE;
too_many:
  g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
      "shape has %" G_GINT64_FORMAT " dimensions, at most %d are supported",
      shape->dims[0], GNET_MAX_DIMS);
  return FALSE;
bad_zero:
  g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
      "shape[%d] is 0 but the input has only %u dimensions", i,
      in[0].ndim);
  return FALSE;
two_minus_one:
  g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
      "shape has more than one -1");
  return FALSE;
negative:
  g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
      "shape[%d] is %" G_GINT64_FORMAT ", only -1 may be negative", i,
      want[i]);
  return FALSE;
mismatch:
  {
    gchar *a = gnet_dims_to_string (in[0].dims, in[0].ndim);

    g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
        "cannot reshape %s (%" G_GINT64_FORMAT " elements) to the requested "
        "%" G_GINT64_FORMAT "-D shape", a, numel, shape->dims[0]);
    g_free (a);
    return FALSE;
  }
}

static void
reshape_forward (const GnetNode * node, const GnetView * in, GnetView * out,
    gpointer scratch)
{
  gnet__copy_view (&in[0], &out[0]);
}

const GnetOp gnet__op_reshape = {
  .type = "Reshape",
  .min_opset = 5,
  .params_size = sizeof (ReshapeParams),
  .min_inputs = 2,.max_inputs = 2,
  .min_outputs = 1,.max_outputs = 1,
  .flags = GNET_OP_VIEW,
  .init = reshape_init,
  .infer = reshape_infer,
  .forward = reshape_forward,
};
