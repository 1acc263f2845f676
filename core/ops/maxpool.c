/* maxpool.c - MaxPool, 2-D, float32, with pads, auto_pad, ceil_mode and
 * dilations.  The optional Indices output is not supported.
 */
#include "ops.h"

#include <math.h>

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

static gsize
table_bytes (const GnetPoolShape * s)
{
  return (gsize) (2 * (s->ho + s->wo)) * sizeof (gint64);
}

static gboolean
maxpool_infer (const GnetNode * node, const GnetView * in, GnetView * out,
    GnetOpCost * cost, GError ** error)
{
  const MaxPoolParams *p = node->params;
  GnetPoolShape s;

  if (!gnet__pool_shape (&p->w, &in[0], &out[0], &s, error))
    return FALSE;
  cost->scratch_bytes = table_bytes (&s);
  cost->macs = 0;
  return TRUE;
}

static void
maxpool_forward (const GnetNode * node, const GnetView * in, GnetView * out,
    gpointer scratch)
{
  const MaxPoolParams *p = node->params;
  const GnetWindow *w = &p->w;
  const gint64 sh = w->strides[0], sw = w->strides[1];
  const gint64 dh = w->dilations[0], dw = w->dilations[1];
  gint64 nb, item, bstride;
  gint64 *th, *tw;
  GnetPoolShape s;

  gnet__pool_shape (w, &in[0], NULL, &s, NULL);
  gnet__out_items (&out[0], &nb, &item, &bstride);

  /* In-bounds taps of every output row and column, once per call, so the
   * loops below test nothing per element. */
  th = scratch;
  tw = th + 2 * s.ho;
  for (gint64 o = 0; o < s.ho; o++)
    gnet__window_taps (o, sh, dh, s.pads[0], s.h, w->kernel[0], &th[2 * o],
        &th[2 * o + 1]);
  for (gint64 o = 0; o < s.wo; o++)
    gnet__window_taps (o, sw, dw, s.pads[1], s.w, w->kernel[1], &tw[2 * o],
        &tw[2 * o + 1]);

  for (gint64 b = 0; b < s.n; b++) {
    for (gint64 c = 0; c < s.c; c++) {
      const gfloat *x = (const gfloat *) in[0].data + (b * s.c + c) * s.h * s.w;
      gfloat *y = (gfloat *) out[0].data + b * bstride + c * s.ho * s.wo;

      for (gint64 oh = 0; oh < s.ho; oh++) {
        const gfloat *xr = x + (oh * sh - s.pads[0]) * s.w - s.pads[1];
        gint64 k0 = th[2 * oh], k1 = th[2 * oh + 1];

        for (gint64 ow = 0; ow < s.wo; ow++) {
          const gfloat *xw = xr + ow * sw;
          gint64 j0 = tw[2 * ow], j1 = tw[2 * ow + 1];
          gfloat m = -INFINITY;

          for (gint64 ki = k0; ki < k1; ki++) {
            const gfloat *r = xw + ki * dh * s.w;

            for (gint64 kj = j0; kj < j1; kj++) {
              gfloat v = r[kj * dw];

              m = v > m ? v : m;
            }
          }
          y[oh * s.wo + ow] = m;
        }
      }
    }
  }
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
