/* flatten.c - Flatten to 2-D at `axis`: a view, no copy. */
#include "ops.h"

typedef struct
{
  gint64 axis;
} FlattenParams;

static gboolean
flatten_init (const GnetNode * node, gpointer params, GError ** error)
{
  FlattenParams *p = params;

  return gnet__attr_int (node, "axis", 1, &p->axis, error);
}

static gboolean
flatten_infer (const GnetNode * node, const GnetView * in, GnetView * out,
    GnetOpCost * cost, GError ** error)
{
  const FlattenParams *p = node->params;
  gint64 axis, outer = 1, inner = 1;

  if (!gnet__normalize_axis (p->axis, in[0].ndim, TRUE, &axis, error))
    return FALSE;
  for (guint i = 0; i < in[0].ndim; i++) {
    if ((gint64) i < axis)
      outer *= in[0].dims[i];
    else
      inner *= in[0].dims[i];
  }
  out[0].dtype = in[0].dtype;
  out[0].ndim = 2;
  out[0].dims[0] = outer;
  out[0].dims[1] = inner;
  cost->macs = 0;
  cost->scratch_bytes = 0;
  return TRUE;
}

static void
flatten_forward (const GnetNode * node, const GnetView * in, GnetView * out,
    gpointer scratch)
{
  gnet__copy_view (&in[0], &out[0]);
}

const GnetOp gnet__op_flatten = {
  .type = "Flatten",
  .min_opset = 1,
  .params_size = sizeof (FlattenParams),
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 1,
  .flags = GNET_OP_VIEW,
  .init = flatten_init,
  .infer = flatten_infer,
  .forward = flatten_forward,
};
