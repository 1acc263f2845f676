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

static gsize
table_bytes (const GnetPoolShape * s)
{
  return (gsize) (2 * (s->ho + s->wo)) * sizeof (gint64)
      + (gsize) (s->ho + s->wo) * sizeof (gfloat);
}

static gboolean
averagepool_infer (const GnetNode * node, const GnetView * in,
    GnetView * out, GnetOpCost * cost, GError ** error)
{
  const AveragePoolParams *p = node->params;
  GnetPoolShape s;

  if (!gnet__pool_shape (&p->w, &in[0], &out[0], &s, error))
    return FALSE;
  cost->scratch_bytes = table_bytes (&s);
  cost->macs = 0;
  return TRUE;
}

/* Taps and reciprocal divisor of every output position along one axis.
 * The divisor factors into rows times columns, so an output costs one
 * multiply instead of a division. */
static void
axis_table (gint64 n_out, gint64 stride, gint64 pad_begin, gint64 pad_end,
    gint64 in, gint64 kernel, gboolean include_pad, gint64 * taps,
    gfloat * inv)
{
  for (gint64 o = 0; o < n_out; o++) {
    gint64 start = o * stride - pad_begin;
    gint64 count;

    gnet__window_taps (o, stride, 1, pad_begin, in, kernel, &taps[2 * o],
        &taps[2 * o + 1]);
    if (include_pad)
      count = MIN (start + kernel, in + pad_end) - start;
    else
      count = taps[2 * o + 1] - taps[2 * o];
    inv[o] = count > 0 ? 1.0f / (gfloat) count : 0.0f;
  }
}

static void
averagepool_forward (const GnetNode * node, const GnetView * in,
    GnetView * out, gpointer scratch)
{
  const AveragePoolParams *p = node->params;
  const GnetWindow *w = &p->w;
  const gint64 sh = w->strides[0], sw = w->strides[1];
  gint64 nb, item, bstride;
  gint64 *th, *tw;
  gfloat *ih, *iw;
  GnetPoolShape s;

  gnet__pool_shape (w, &in[0], NULL, &s, NULL);
  gnet__out_items (&out[0], &nb, &item, &bstride);

  th = scratch;
  tw = th + 2 * s.ho;
  ih = (gfloat *) (tw + 2 * s.wo);
  iw = ih + s.ho;
  axis_table (s.ho, sh, s.pads[0], s.pads[2], s.h, w->kernel[0],
      p->count_include_pad, th, ih);
  axis_table (s.wo, sw, s.pads[1], s.pads[3], s.w, w->kernel[1],
      p->count_include_pad, tw, iw);

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
          gfloat sum = 0.0f;

          for (gint64 ki = k0; ki < k1; ki++) {
            const gfloat *r = xw + ki * s.w;

            for (gint64 kj = j0; kj < j1; kj++)
              sum += r[kj];
          }
          y[oh * s.wo + ow] = sum * ih[oh] * iw[ow];
        }
      }
    }
  }
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
