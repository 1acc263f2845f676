/* maxpool.c - MaxPool, 2-D, float32, with pads, auto_pad, ceil_mode and
 * dilations.  The optional Indices output is not supported.
 */
#include "ops.h"

typedef struct
{
  GnetWindow w;
} MaxPoolParams;

static gboolean
maxpool_init (const GnetNode * node, gpointer params, GError ** error)
{
  MaxPoolParams *p = params;

  if (node->n_outputs > 1 && node->outputs[1] >= 0) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
        "the Indices output is not supported");
    return FALSE;
  }
  return gnet__window_init (node, &p->w, GNET_WINDOW_NEED_KERNEL |
      GNET_WINDOW_DILATIONS | GNET_WINDOW_CEIL_MODE, error)
      && gnet__pool_check_pads (&p->w, error);
}

static gboolean
maxpool_infer (const GnetNode * node, const GnetView * in, GnetView * out,
    GnetOpCost * cost, GError ** error)
{
  const MaxPoolParams *p = node->params;
  GnetPoolShape s;

  if (!gnet__pool_shape (&p->w, &in[0], &out[0], &s, error))
    return FALSE;
  cost->scratch_bytes = gnet__pool_scratch_bytes (&s);
  cost->macs = 0;
  return TRUE;
}

static void
maxpool_forward (const GnetNode * node, const GnetView * in, GnetView * out,
    gpointer scratch)
{
  const MaxPoolParams *p = node->params;
  GnetPoolShape s;

  gnet__pool_shape (&p->w, &in[0], NULL, &s, NULL);
  gnet__pool_forward (&p->w, &s, TRUE, FALSE, in[0].data, &out[0], scratch);
}

const GnetOp gnet__op_maxpool = {
  .type = "MaxPool",
  .min_opset = 1,
  .params_size = sizeof (MaxPoolParams),
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 2,
  .flags = GNET_OP_STRIDED_OUTPUT,
  .init = maxpool_init,
  .infer = maxpool_infer,
  .forward = maxpool_forward,
};
