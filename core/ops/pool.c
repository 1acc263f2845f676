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

/* Planes are pooled in up to this many parts in parallel, each with a row
 * buffer of its own. */
#define POOL_MAX_PARTS 4

/* Scratch layout: tap tables, reciprocal divisors, then the row buffers. */
typedef struct
{
  gint64 *th, *tw;              /* [2 * ho], [2 * wo]: taps [k0, k1) */
  gfloat *ih, *iw;              /* [ho], [wo]: 1 / count (average) */
  gfloat *rows;                 /* [parts][h * wo]: rows reduced over columns */
} PoolScratch;

gsize
gnet__pool_scratch_bytes (const GnetPoolShape * s)
{
  return (gsize) (2 * (s->ho + s->wo)) * sizeof (gint64)
      + (gsize) (s->ho + s->wo + POOL_MAX_PARTS * s->h * s->wo)
      * sizeof (gfloat);
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

/* What each part of a pooling pass needs. */
typedef struct
{
  const GnetWindow *w;
  const GnetPoolShape *s;
  PoolScratch ps;
  gint64 a, b;                  /* unclipped output columns */
  const gfloat *x;
  gfloat *y;
  gint64 bstride;
  gboolean max;
} PoolJob;

/* Both passes over planes [p0, p1) (image * C + channel); inlined once per
 * reduction. */
static inline void
pool_planes (const PoolJob * j, gint64 p0, gint64 p1, gfloat * rows,
    gboolean max)
{
  const GnetWindow *w = j->w;
  const GnetPoolShape *s = j->s;
  const PoolScratch *ps = &j->ps;
  const gint64 sh = w->strides[0], dh = w->dilations[0];

  for (gint64 pl = p0; pl < p1; pl++) {
    gint64 n = pl / s->c, c = pl % s->c;
    const gfloat *xp = j->x + pl * s->h * s->w;
    gfloat *yp = j->y + n * j->bstride + c * s->ho * s->wo;

    for (gint64 ih = 0; ih < s->h; ih++)
      reduce_row (xp + ih * s->w, rows + ih * s->wo, w, s, ps->tw, j->a,
          j->b, max);
    for (gint64 oh = 0; oh < s->ho; oh++) {
      gint64 k0 = ps->th[2 * oh], k1 = ps->th[2 * oh + 1];
      gfloat *yr = yp + oh * s->wo;

      combine_rows (rows, oh * sh - s->pads[0] + k0 * dh, dh, k1 - k0, yr,
          s->wo, max);
      if (!max)
        for (gint64 i = 0; i < s->wo; i++)
          yr[i] *= ps->ih[oh] * ps->iw[i];
    }
  }
}

/* The 3x3, stride 1, pad 1 max pooling of every Inception block, where the
 * planes are small (28x28 down to 7x7) and the row-by-row passes spend
 * their time on borders: each pass runs once over the whole plane as one
 * long row, then the few outputs whose window wrapped around a row (or hit
 * the top or bottom) are recomputed. */
static gboolean
is_same_3x3_max (const PoolJob * j)
{
  const GnetWindow *w = j->w;
  const GnetPoolShape *s = j->s;

  return j->max && w->kernel[0] == 3 && w->kernel[1] == 3
      && w->strides[0] == 1 && w->strides[1] == 1 && w->dilations[0] == 1
      && w->dilations[1] == 1 && s->pads[0] == 1 && s->pads[1] == 1
      && s->pads[2] == 1 && s->pads[3] == 1 && s->h >= 2 && s->w >= 2
      && s->ho == s->h && s->wo == s->w;
}

static inline gfloat
max2 (gfloat a, gfloat b)
{
  return a > b ? a : b;
}

GNET_CLONES static void
max_3x3_plane (const gfloat * restrict x, gfloat * restrict t,
    gfloat * restrict y, gint64 h, gint64 w)
{
  const gint64 n = h * w;

  /* Across: t[i] = max (x[i - 1], x[i], x[i + 1]), then row ends. */
  for (gint64 i = 1; i < n - 1; i++)
    t[i] = max2 (max2 (x[i - 1], x[i]), x[i + 1]);
  for (gint64 r = 0; r < n; r += w) {
    t[r] = max2 (x[r], x[r + 1]);
    t[r + w - 1] = max2 (x[r + w - 2], x[r + w - 1]);
  }
  /* Down: rows above and below, then the first and last rows. */
  for (gint64 i = w; i < n - w; i++)
    y[i] = max2 (max2 (t[i - w], t[i]), t[i + w]);
  for (gint64 i = 0; i < w; i++) {
    y[i] = max2 (t[i], t[i + w]);
    y[n - w + i] = max2 (t[n - 2 * w + i], t[n - w + i]);
  }
}

/* The 3x3, stride 2 max pooling between stages, on even planes halved
 * (ceil_mode or a bottom/right pad clips the last window): the pass across
 * runs over the whole plane as one row of pairs, then each row's last
 * output, whose window wrapped into the next row, is recomputed. */
static gboolean
is_half_3x3_max (const PoolJob * j)
{
  const GnetWindow *w = j->w;
  const GnetPoolShape *s = j->s;

  return j->max && w->kernel[0] == 3 && w->kernel[1] == 3
      && w->strides[0] == 2 && w->strides[1] == 2 && w->dilations[0] == 1
      && w->dilations[1] == 1 && s->pads[0] == 0 && s->pads[1] == 0
      && s->h % 2 == 0 && s->w % 2 == 0 && s->h >= 2 && s->w >= 2
      && s->ho == s->h / 2 && s->wo == s->w / 2;
}

GNET_CLONES static void
max_3x3_half_plane (const gfloat * restrict x, gfloat * restrict t,
    gfloat * restrict y, gint64 h, gint64 w)
{
  const gint64 wo = w / 2, ho = h / 2, n = h * wo;

  for (gint64 i = 0; i < n - 1; i++)
    t[i] = max2 (max2 (x[2 * i], x[2 * i + 1]), x[2 * i + 2]);
  for (gint64 r = 0; r < h; r++)
    t[r * wo + wo - 1] = max2 (x[r * w + w - 2], x[r * w + w - 1]);
  for (gint64 oh = 0; oh < ho; oh++) {
    const gfloat *t0 = t + 2 * oh * wo, *t1 = t0 + wo, *t2 = t1 + wo;
    gfloat *yr = y + oh * wo;

    if (oh < ho - 1)
      for (gint64 i = 0; i < wo; i++)
        yr[i] = max2 (max2 (t0[i], t1[i]), t2[i]);
    else
      for (gint64 i = 0; i < wo; i++)
        yr[i] = max2 (t0[i], t1[i]);
  }
}

static void
pool_part (gpointer data, guint i, guint n)
{
  const PoolJob *j = data;
  gint64 planes = j->s->n * j->s->c;
  gint64 p0 = planes * i / n, p1 = planes * (i + 1) / n;
  gfloat *rows = j->ps.rows + i * j->s->h * j->s->wo;

  if (is_same_3x3_max (j)) {
    const GnetPoolShape *s = j->s;

    for (gint64 pl = p0; pl < p1; pl++)
      max_3x3_plane (j->x + pl * s->h * s->w, rows, j->y + pl / s->c
          * j->bstride + pl % s->c * s->h * s->w, s->h, s->w);
  } else if (is_half_3x3_max (j)) {
    const GnetPoolShape *s = j->s;

    for (gint64 pl = p0; pl < p1; pl++)
      max_3x3_half_plane (j->x + pl * s->h * s->w, rows, j->y + pl / s->c
          * j->bstride + pl % s->c * s->ho * s->wo, s->h, s->w);
  } else if (j->max)
    pool_planes (j, p0, p1, rows, TRUE);
  else
    pool_planes (j, p0, p1, rows, FALSE);
}

void
gnet__pool_forward (const GnetWindow * w, const GnetPoolShape * s,
    gboolean max, gboolean include_pad, const gfloat * x, GnetView * out,
    gpointer scratch)
{
  gint64 nb, item;
  PoolJob j = {.w = w,.s = s,.x = x,.y = out->data,.max = max };

  gnet__out_items (out, &nb, &item, &j.bstride);
  split_scratch (s, scratch, &j.ps);
  axis_table (s->ho, w->strides[0], w->dilations[0], s->pads[0], s->pads[2],
      s->h, w->kernel[0], include_pad, j.ps.th, j.ps.ih);
  axis_table (s->wo, w->strides[1], w->dilations[1], s->pads[1], s->pads[3],
      s->w, w->kernel[1], include_pad, j.ps.tw, j.ps.iw);
  full_range (j.ps.tw, s->wo, w->kernel[1], &j.a, &j.b);
  gnet__parallel_run (MIN (gnet__op_threads (), POOL_MAX_PARTS), pool_part,
      &j);
}
