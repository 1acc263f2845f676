/* pool.c - the 2-D max and average pooling loops MaxPool and AveragePool
 * share.  A k x k window is separable: each input row is first reduced over
 * the window's columns into a row buffer, then output rows combine k of
 * those rows.  Both passes are plain loops over contiguous rows (the
 * compiler vectorises them) except at the borders, where the window is
 * clipped; the clipping is worked out once per call in small tables.
 */
#include "ops.h"

#include <math.h>
#include <string.h>

/* Scratch layout: tap tables, reciprocal divisors, then the row buffer. */
typedef struct
{
  gint64 *th, *tw;              /* [2 * ho], [2 * wo]: taps [k0, k1) */
  gfloat *ih, *iw;              /* [ho], [wo]: 1 / count (average) */
  gfloat *rows;                 /* [h * wo]: rows reduced over columns */
} PoolScratch;

gsize
gnet__pool_scratch_bytes (const GnetPoolShape * s)
{
  return (gsize) (2 * (s->ho + s->wo)) * sizeof (gint64)
      + (gsize) (s->ho + s->wo + s->h * s->wo) * sizeof (gfloat);
}

static void
split_scratch (const GnetPoolShape * s, gpointer scratch, PoolScratch * ps)
{
  ps->th = scratch;
  ps->tw = ps->th + 2 * s->ho;
  ps->ih = (gfloat *) (ps->tw + 2 * s->wo);
  ps->iw = ps->ih + s->ho;
  ps->rows = ps->iw + s->wo;
}

/* The reduction: maximum or sum.  `max` is a constant wherever this is
 * inlined, so each loop below compiles to one vectorised form. */
static inline gfloat
pick (gfloat a, gfloat b, gboolean max)
{
  return max ? (a > b ? a : b) : a + b;
}

/* Taps and divisor of every output position along one axis. */
static void
axis_table (gint64 n_out, gint64 stride, gint64 dilation, gint64 pad_begin,
    gint64 pad_end, gint64 in, gint64 kernel, gboolean include_pad,
    gint64 * taps, gfloat * inv)
{
  for (gint64 o = 0; o < n_out; o++) {
    gint64 start = o * stride - pad_begin;
    gint64 count;

    gnet__window_taps (o, stride, dilation, pad_begin, in, kernel,
        &taps[2 * o], &taps[2 * o + 1]);
    /* count_include_pad counts the padding but not what lies past it. */
    if (include_pad)
      count = MIN (start + kernel, in + pad_end) - start;
    else
      count = taps[2 * o + 1] - taps[2 * o];
    inv[o] = count > 0 ? 1.0f / (gfloat) count : 0.0f;
  }
}

/* Output columns [*a, *b) whose window is not clipped. */
static void
full_range (const gint64 * taps, gint64 n, gint64 kernel, gint64 * a,
    gint64 * b)
{
  gint64 i = 0, j;

  while (i < n && (taps[2 * i] != 0 || taps[2 * i + 1] != kernel))
    i++;
  j = i;
  while (j < n && taps[2 * j] == 0 && taps[2 * j + 1] == kernel)
    j++;
  *a = i;
  *b = j;
}

/* One input row reduced over each output column's window. */
static inline void
reduce_row (const gfloat * restrict r, gfloat * restrict out,
    const GnetWindow * w, const GnetPoolShape * s, const gint64 * tw,
    gint64 a, gint64 b, gboolean max)
{
  const gint64 sw = w->strides[1], dw = w->dilations[1], kw = w->kernel[1];
  const gint64 pl = s->pads[1];

  for (gint64 ow = 0; ow < s->wo; ow++) {
    gint64 start = ow * sw - pl;
    gfloat v = max ? -INFINITY : 0.0f;

    if (ow == a && a < b) {
      ow = b - 1;               /* the unclipped middle is done below */
      continue;
    }
    for (gint64 kj = tw[2 * ow]; kj < tw[2 * ow + 1]; kj++) {
      gfloat u = r[start + kj * dw];

      v = pick (v, u, max);
    }
    out[ow] = v;
  }
  if (a >= b)
    return;
  /* Middle: the common 3-wide windows in one pass, others one pass per
   * kernel column, over contiguous outputs. */
  r += a * sw - pl;
  out += a;
  if (kw == 3 && dw == 1 && sw == 1) {
    for (gint64 i = 0; i < b - a; i++)
      out[i] = pick (pick (r[i], r[i + 1], max), r[i + 2], max);
  } else if (kw == 3 && dw == 1 && sw == 2) {
    for (gint64 i = 0; i < b - a; i++)
      out[i] = pick (pick (r[2 * i], r[2 * i + 1], max), r[2 * i + 2], max);
  } else {
    for (gint64 i = 0; i < b - a; i++)
      out[i] = r[i * sw];
    for (gint64 kj = 1; kj < kw; kj++) {
      const gfloat *rk = r + kj * dw;

      for (gint64 i = 0; i < b - a; i++)
        out[i] = pick (out[i], rk[i * sw], max);
    }
  }
}

/* One output row from the reduced rows of its window. */
static inline void
combine_rows (const gfloat * rows, gint64 first, gint64 step, gint64 n,
    gfloat * restrict y, gint64 wo, gboolean max)
{
  const gfloat *r0 = rows + first * wo;

  if (n == 0) {
    for (gint64 i = 0; i < wo; i++)
      y[i] = max ? -INFINITY : 0.0f;
  } else if (n == 3) {
    const gfloat *r1 = r0 + step * wo, *r2 = r1 + step * wo;

    for (gint64 i = 0; i < wo; i++)
      y[i] = pick (pick (r0[i], r1[i], max), r2[i], max);
  } else {
    memcpy (y, r0, (gsize) wo * sizeof (gfloat));
    for (gint64 k = 1; k < n; k++) {
      const gfloat *restrict r = r0 + k * step * wo;

      for (gint64 i = 0; i < wo; i++)
        y[i] = pick (y[i], r[i], max);
    }
  }
}

/* Both passes over every plane; inlined once per reduction. */
static inline void
pool_planes (const GnetWindow * w, const GnetPoolShape * s,
    const PoolScratch * ps, gint64 a, gint64 b, const gfloat * x,
    gfloat * y, gint64 bstride, gboolean max)
{
  const gint64 sh = w->strides[0], dh = w->dilations[0];

  for (gint64 n = 0; n < s->n; n++) {
    for (gint64 c = 0; c < s->c; c++) {
      const gfloat *xp = x + (n * s->c + c) * s->h * s->w;
      gfloat *yp = y + n * bstride + c * s->ho * s->wo;

      for (gint64 ih = 0; ih < s->h; ih++)
        reduce_row (xp + ih * s->w, ps->rows + ih * s->wo, w, s, ps->tw, a,
            b, max);
      for (gint64 oh = 0; oh < s->ho; oh++) {
        gint64 k0 = ps->th[2 * oh], k1 = ps->th[2 * oh + 1];
        gfloat *yr = yp + oh * s->wo;

        combine_rows (ps->rows, oh * sh - s->pads[0] + k0 * dh, dh, k1 - k0,
            yr, s->wo, max);
        if (!max)
          for (gint64 i = 0; i < s->wo; i++)
            yr[i] *= ps->ih[oh] * ps->iw[i];
      }
    }
  }
}

void
gnet__pool_forward (const GnetWindow * w, const GnetPoolShape * s,
    gboolean max, gboolean include_pad, const gfloat * x, GnetView * out,
    gpointer scratch)
{
  gint64 nb, item, bstride, a, b;
  PoolScratch ps;

  gnet__out_items (out, &nb, &item, &bstride);
  split_scratch (s, scratch, &ps);
  axis_table (s->ho, w->strides[0], w->dilations[0], s->pads[0], s->pads[2],
      s->h, w->kernel[0], include_pad, ps.th, ps.ih);
  axis_table (s->wo, w->strides[1], w->dilations[1], s->pads[1], s->pads[3],
      s->w, w->kernel[1], include_pad, ps.tw, ps.iw);
  full_range (ps.tw, s->wo, w->kernel[1], &a, &b);
  if (max)
    pool_planes (w, s, &ps, a, b, x, out->data, bstride, TRUE);
  else
    pool_planes (w, s, &ps, a, b, x, out->data, bstride, FALSE);
}
