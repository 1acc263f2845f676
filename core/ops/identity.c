/* identity.c - Identity: a view of its input, any dtype. */
#include "ops.h"

static gboolean
identity_infer (const GnetNode * node, const GnetView * in, GnetView * out,
    GnetOpCost * cost, GError ** error)
{
  gnet__out_like (&out[0], &in[0]);
  cost->macs = 0;
  cost->scratch_bytes = 0;
  return TRUE;
}

static void
identity_forward (const GnetNode * node, const GnetView * in, GnetView * out,
    gpointer scratch)
{
  gnet__copy_view (&in[0], &out[0]);
}

const GnetOp gnet__op_identity = {
  .type = "Identity",
  .min_opset = 1,
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 1,
  .flags = GNET_OP_VIEW,
  .infer = identity_infer,
  .forward = identity_forward,
};
