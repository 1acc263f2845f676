/* clip.c - Clip to [min, max], float32, strided output.  Before opset 11
 * the bounds are attributes; from 11 they are optional scalar inputs, read
 * at run time (they may be graph inputs).
 */
#include "ops.h"

#include <float.h>

typedef struct
{
  gfloat min;
  gfloat max;
} ClipParams;

static gboolean
clip_init (const GnetNode * node, gpointer params, GError ** error)
{
  ClipParams *p = params;

  p->min = -FLT_MAX;
  p->max = FLT_MAX;
  if (node->opset >= 11)
    return TRUE;
  return gnet__attr_float (node, "min", -FLT_MAX, &p->min, error)
      && gnet__attr_float (node, "max", FLT_MAX, &p->max, error);
}

static gboolean
has_input (const GnetNode * node, guint i)
{
  return node->n_inputs > i && node->inputs[i] >= 0;
}

static gboolean
clip_infer (const GnetNode * node, const GnetView * in, GnetView * out,
    GnetOpCost * cost, GError ** error)
{
  static const gchar *const names[] = { "input", "min", "max" };

  if (!gnet__check_float (&in[0], "input", error))
    return FALSE;
  for (guint i = 1; i < 3; i++) {
    if (!has_input (node, i))
      continue;
    if (!gnet__check_float (&in[i], names[i], error))
      return FALSE;
    if (gnet__view_numel (&in[i]) != 1 || in[i].ndim > 1) {
      g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
          "%s must be a scalar", names[i]);
      return FALSE;
    }
  }
  gnet__out_like (&out[0], &in[0]);
  cost->macs = 0;
  cost->scratch_bytes = 0;
  return TRUE;
}

static void
clip_forward (const GnetNode * node, const GnetView * in, GnetView * out,
    gpointer scratch)
{
  const ClipParams *p = node->params;
  gfloat lo = p->min, hi = p->max;
  gint64 nb, item, bstride;

  if (has_input (node, 1))
    lo = *(const gfloat *) in[1].data;
  if (has_input (node, 2))
    hi = *(const gfloat *) in[2].data;
  gnet__out_items (&out[0], &nb, &item, &bstride);
  for (gint64 b = 0; b < nb; b++) {
    const gfloat *x = (const gfloat *) in[0].data + b * item;
    gfloat *y = (gfloat *) out[0].data + b * bstride;

    /* min(max(x, lo), hi), so lo > hi gives hi as numpy does. */
    for (gint64 i = 0; i < item; i++) {
      gfloat v = x[i] > lo ? x[i] : lo;

      y[i] = v < hi ? v : hi;
    }
  }
}

const GnetOp gnet__op_clip = {
  .type = "Clip",
  .min_opset = 6,
  .params_size = sizeof (ClipParams),
  .min_inputs = 1,.max_inputs = 3,
  .min_outputs = 1,.max_outputs = 1,
  .flags = GNET_OP_STRIDED_OUTPUT,
  .init = clip_init,
  .infer = clip_infer,
  .forward = clip_forward,
};
