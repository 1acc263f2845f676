/* averagepool.c - AveragePool, 2-D, float32, with pads, auto_pad, ceil_mode
 * and count_include_pad.  Windows that run past the padded end (ceil_mode)
 * are averaged over their clipped size.
 */
#include "ops.h"

typedef struct
{
  GnetWindow w;
  gboolean count_include_pad;
} AveragePoolParams;

static gboolean
averagepool_init (const GnetNode * node, gpointer params, GError ** error)
{
  AveragePoolParams *p = params;
  gint64 cip;

  if (!gnet__window_init (node, &p->w, GNET_WINDOW_NEED_KERNEL |
          GNET_WINDOW_CEIL_MODE, error)
      || !gnet__pool_check_pads (&p->w, error)
      || !gnet__attr_int (node, "count_include_pad", 0, &cip, error))
    return FALSE;
  if (cip != 0 && cip != 1) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_ATTRIBUTE,
        "count_include_pad is %" G_GINT64_FORMAT ", must be 0 or 1", cip);
    return FALSE;
  }
  p->count_include_pad = cip;
  return TRUE;
}

static gboolean
averagepool_infer (const GnetNode * node, const GnetView * in,
    GnetView * out, GnetOpCost * cost, GError ** error)
{
  const AveragePoolParams *p = node->params;
  GnetPoolShape s;

  if (!gnet__pool_shape (&p->w, &in[0], &out[0], &s, error))
    return FALSE;
  cost->scratch_bytes = gnet__pool_scratch_bytes (&s);
  cost->macs = 0;
  return TRUE;
}

static void
averagepool_forward (const GnetNode * node, const GnetView * in,
    GnetView * out, gpointer scratch)
{
  const AveragePoolParams *p = node->params;
  GnetPoolShape s;

  gnet__pool_shape (&p->w, &in[0], NULL, &s, NULL);
  gnet__pool_forward (&p->w, &s, FALSE, p->count_include_pad, in[0].data,
      &out[0], scratch);
}

const GnetOp gnet__op_averagepool = {
  .type = "AveragePool",
  .min_opset = 1,
  .params_size = sizeof (AveragePoolParams),
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 1,
  .flags = GNET_OP_STRIDED_OUTPUT,
  .init = averagepool_init,
  .infer = averagepool_infer,
  .forward = averagepool_forward,
};
