/* conv.c - Conv, 2-D, float32: im2col into the shared scratch, then SGEMM
 * (one per group and batch item, or per L2-sized tile of output rows when
 * the unfolded input is large); a 1x1 stride-1 unpadded convolution
 * multiplies the input in place.  Bias and a fused Relu are applied in one
 * pass over the output.
 */
#include "ops.h"

#include <cblas.h>
#include <string.h>

typedef struct
{
  GnetWindow w;
  gint64 group;
} ConvParams;

/* Everything forward needs, derived from the views once per call. */
typedef struct
{
  gint64 n, c, h, w;            /* input */
  gint64 m, cg, kh, kw;         /* weights: M x C/group x kH x kW */
  gint64 ho, wo;
  gint64 pad_top, pad_left;
  gboolean pointwise;           /* 1x1, stride 1, no pads: no im2col */
} ConvShape;

static gboolean
conv_init (const GnetNode * node, gpointer params, GError ** error)
{
  ConvParams *p = params;

  if (!gnet__window_init (node, &p->w, GNET_WINDOW_DILATIONS, error))
    return FALSE;
  if (!gnet__attr_int (node, "group", 1, &p->group, error))
    return FALSE;
  if (p->group < 1) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_ATTRIBUTE,
        "group is %" G_GINT64_FORMAT ", must be at least 1", p->group);
    return FALSE;
  }
  return TRUE;
}

static gboolean
has_input (const GnetNode * node, guint i)
{
  return node->n_inputs > i && node->inputs[i] >= 0;
}

static gboolean
conv_shape (const ConvParams * p, const GnetView * x, const GnetView * wt,
    ConvShape * s, GError ** error)
{
  GnetAxisGeometry gh, gw;

  s->n = x->dims[0];
  s->c = x->dims[1];
  s->h = x->dims[2];
  s->w = x->dims[3];
  s->m = wt->dims[0];
  s->cg = wt->dims[1];
  s->kh = wt->dims[2];
  s->kw = wt->dims[3];
  if (!gnet__window_axis (&p->w, 0, s->h, s->kh, &gh, error)
      || !gnet__window_axis (&p->w, 1, s->w, s->kw, &gw, error))
    return FALSE;
  s->ho = gh.out;
  s->wo = gw.out;
  s->pad_top = gh.pad_begin;
  s->pad_left = gw.pad_begin;
  s->pointwise = s->kh == 1 && s->kw == 1 && p->w.strides[0] == 1
      && p->w.strides[1] == 1 && gh.pad_begin == 0 && gh.pad_end == 0
      && gw.pad_begin == 0 && gw.pad_end == 0;
  return TRUE;
}

/* Output rows unfolded at a time: the unfolded tile should stay in the
 * L2 cache between im2col writing it and SGEMM reading it, but be wide
 * enough (N = rows * Wo) for SGEMM to run at full speed.  On the 7x7
 * stride-2 stem this saves about a fifth of the layer's time.  gnet__sgemm
 * is at full speed from a few column panels on, so its tiles can be
 * smaller, and leave room in L2 for the weights.  The scratch holds the
 * larger tile, or two threads' fast tiles (scratch_floats). */
#define CONV_TILE_BYTES (1 << 20)
#define CONV_TILE_MIN_N 512
#define CONV_FAST_TILE_BYTES (CONV_TILE_BYTES / 2)
#define CONV_FAST_TILE_MIN_N (4 * GNET_SGEMM_NR)

static gint64
tile_rows_for (const ConvShape * s, gint64 bytes, gint64 min_n)
{
  gint64 k = s->cg * s->kh * s->kw;
  gint64 rows = bytes / MAX (k * s->wo * (gint64) sizeof (gfloat), 1);

  rows = MAX (rows, (min_n + s->wo - 1) / s->wo);
  return CLAMP (rows, 1, s->ho);
}

static gint64
tile_rows (const ConvShape * s)
{
  return tile_rows_for (s, CONV_TILE_BYTES, CONV_TILE_MIN_N);
}

static gint64
fast_tile_rows (const ConvShape * s)
{
  return tile_rows_for (s, CONV_FAST_TILE_BYTES, CONV_FAST_TILE_MIN_N);
}

/* The scratch, in floats: a tile of either size, or two threads' fast
 * tiles side by side (part_band, part_batch). */
static gint64
scratch_floats (const ConvShape * s)
{
  gint64 k = s->cg * s->kh * s->kw;

  if (s->pointwise)
    return 0;
  return k * s->wo * MAX (tile_rows (s), 2 * fast_tile_rows (s));
}

static gboolean
conv_infer (const GnetNode * node, const GnetView * in, GnetView * out,
    GnetOpCost * cost, GError ** error)
{
  const ConvParams *p = node->params;
  const GnetView *x = &in[0], *wt = &in[1];
  ConvShape s;

  if (!gnet__check_float (x, "X", error)
      || !gnet__check_float (wt, "W", error))
    return FALSE;
  if (x->ndim != 4 && x->ndim >= 3)
    goto not_2d;
  if (x->ndim != 4 || wt->ndim != 4)
    goto bad_rank;
  if (wt->dims[1] < 1 || wt->dims[2] < 1 || wt->dims[3] < 1)
    goto empty_kernel;
  if (x->dims[1] % p->group != 0 || wt->dims[0] % p->group != 0)
    goto bad_group;
  if (wt->dims[1] * p->group != x->dims[1])
    goto bad_channels;
  if (p->w.kernel[0] != 0 && (p->w.kernel[0] != wt->dims[2]
          || p->w.kernel[1] != wt->dims[3]))
    goto bad_kernel;
  if (has_input (node, 2) && (in[2].ndim != 1 || in[2].dims[0] != wt->dims[0]
          || in[2].dtype != GNET_DTYPE_FLOAT32))
    goto bad_bias;
  if (!conv_shape (p, x, wt, &s, error))
    return FALSE;

  out[0].dtype = GNET_DTYPE_FLOAT32;
  out[0].ndim = 4;
  out[0].dims[0] = s.n;
  out[0].dims[1] = s.m;
  out[0].dims[2] = s.ho;
  out[0].dims[3] = s.wo;
  cost->macs = (guint64) s.n * s.m * s.ho * s.wo * s.cg * s.kh * s.kw;
  cost->scratch_bytes = (gsize) scratch_floats (&s) * sizeof (gfloat);
  return TRUE;

  /* ERRORS */
not_2d:
  g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
      "only 2-D convolution is supported, X has rank %u", x->ndim);
  return FALSE;
bad_rank:
  g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
      "X (rank %u) and W (rank %u) must both have rank 4", x->ndim,
      wt->ndim);
  return FALSE;
empty_kernel:
  g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE, "W has an empty kernel");
  return FALSE;
bad_group:
  g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
      "group %" G_GINT64_FORMAT " does not divide the %" G_GINT64_FORMAT
      " input channels and %" G_GINT64_FORMAT " output channels", p->group,
      x->dims[1], wt->dims[0]);
  return FALSE;
bad_channels:
  g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
      "W has %" G_GINT64_FORMAT " channels per group, X has %"
      G_GINT64_FORMAT " channels in %" G_GINT64_FORMAT " groups",
      wt->dims[1], x->dims[1], p->group);
  return FALSE;
bad_kernel:
  g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
      "kernel_shape %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
      " does not match W %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT,
      p->w.kernel[0], p->w.kernel[1], wt->dims[2], wt->dims[3]);
  return FALSE;
bad_bias:
  g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
      "B must be a float vector of %" G_GINT64_FORMAT " values",
      wt->dims[0]);
  return FALSE;
}

/* Output positions o in [0, n) whose input index o * stride + off falls in
 * [0, in). */
static inline void
valid_range (gint64 off, gint64 stride, gint64 in, gint64 n, gint64 * lo,
    gint64 * hi)
{
  gint64 l = off >= 0 ? 0 : (-off + stride - 1) / stride;
  gint64 h = in - off <= 0 ? 0 : (in - off + stride - 1) / stride;

  *lo = MIN (l, n);
  *hi = CLAMP (h, *lo, n);
}

/* One im2col block (one input channel, one kernel tap) in the general
 * case: row by row, the in-bounds middle copied or gathered, the rest
 * zeroed. */
GNET_CLONES static void
block_rows (const gfloat * xc, const ConvShape * s, gint64 sh, gint64 sw,
    gint64 offh, gint64 offw, gint64 oh0, gint64 oh1, gint64 ow0,
    gint64 ow1, gfloat * dst)
{
  const gint64 wo = s->wo;

  for (gint64 oh = oh0; oh < oh1; oh++) {
    gfloat *restrict row = dst + (oh - oh0) * wo;
    const gfloat *restrict src = xc + (oh * sh + offh) * s->w + offw;

    memset (row, 0, (gsize) ow0 * sizeof (gfloat));
    if (sw == 1)
      memcpy (row + ow0, src + ow0, (gsize) (ow1 - ow0) * sizeof (gfloat));
    else if (sw == 2)
      /* A constant stride lets the compiler vectorise the gather. */
      for (gint64 ow = ow0; ow < ow1; ow++)
        row[ow] = src[ow * 2];
    else
      for (gint64 ow = ow0; ow < ow1; ow++)
        row[ow] = src[ow * sw];
    memset (row + ow1, 0, (gsize) (wo - ow1) * sizeof (gfloat));
  }
}

/* The same block when the output rows are as wide as the input rows
 * (stride 1, "same" padding across): the in-bounds rows are one
 * contiguous run of the input shifted by offw, copied at once; only the
 * few columns that wrapped around from the neighbouring rows are then
 * zeroed.  This saves two calls per row on the small late layers. */
static void
block_same_width (const gfloat * xc, const ConvShape * s, gint64 offh,
    gint64 offw, gint64 oh0, gint64 oh1, gint64 ow0, gint64 ow1,
    gfloat * dst)
{
  const gint64 w = s->w;
  gint64 from = (oh0 + offh) * w + offw;        /* input index of dst[0] */
  gint64 d0 = 0, d1 = (oh1 - oh0) * w;

  /* Clip the run to the plane; what is clipped lies in zeroed columns. */
  if (from < 0) {
    d0 -= from;
    from = 0;
  }
  if (from + (d1 - d0) > s->h * w)
    d1 = d0 + (s->h * w - from);
  if (d1 > d0)
    memcpy (dst + d0, xc + from, (gsize) (d1 - d0) * sizeof (gfloat));
  for (gint64 oh = oh0; oh < oh1; oh++) {
    gfloat *row = dst + (oh - oh0) * w;

    for (gint64 i = 0; i < ow0; i++)
      row[i] = 0.0f;
    for (gint64 i = ow1; i < w; i++)
      row[i] = 0.0f;
  }
}

/* Unfolds output rows [r0, r1) of input channels [c0, c1) of one group of
 * one image into col[Cg * kH * kW][ld], from column 0 of `col` on (the
 * caller points `col` at the tile column of row r0).  The in-bounds part of
 * each block is found up front, so the inner loops are copies or plain
 * strided gathers with no per-element tests.  The dst pointers handed to
 * the block functions point at their first in-bounds row. */
static void
im2col (const gfloat * x, const ConvShape * s, const GnetWindow * w,
    gint64 c0, gint64 c1, gint64 r0, gint64 r1, gfloat * col, gint64 ld)
{
  const gint64 sh = w->strides[0], sw = w->strides[1];
  const gint64 dh = w->dilations[0], dw = w->dilations[1];
  const gint64 wo = s->wo;
  const gboolean same_width = sw == 1 && sh == 1 && wo == s->w;

  for (gint64 c = c0; c < c1; c++) {
    const gfloat *xc = x + c * s->h * s->w;

    for (gint64 ki = 0; ki < s->kh; ki++) {
      gint64 offh = ki * dh - s->pad_top;
      gint64 oh0, oh1;

      valid_range (offh, sh, s->h, s->ho, &oh0, &oh1);
      oh0 = CLAMP (oh0, r0, r1);
      oh1 = CLAMP (oh1, oh0, r1);
      for (gint64 kj = 0; kj < s->kw; kj++) {
        gint64 offw = kj * dw - s->pad_left;
        gfloat *dst = col + ((c * s->kh + ki) * s->kw + kj) * ld;
        gfloat *mid = dst + (oh0 - r0) * wo;
        gint64 ow0, ow1;

        valid_range (offw, sw, s->w, wo, &ow0, &ow1);
        memset (dst, 0, (gsize) ((oh0 - r0) * wo) * sizeof (gfloat));
        if (same_width)
          block_same_width (xc, s, offh, offw, oh0, oh1, ow0, ow1, mid);
        else
          block_rows (xc, s, sh, sw, offh, offw, oh0, oh1, ow0, ow1, mid);
        memset (dst + (oh1 - r0) * wo, 0,
            (gsize) ((r1 - oh1) * wo) * sizeof (gfloat));
      }
    }
  }
}

/* Bias and fused Relu in one pass over one output image. */
static void
bias_relu (gfloat * y, const gfloat * bias, gint64 m, gint64 hw,
    gboolean relu)
{
  for (gint64 k = 0; k < m; k++) {
    gfloat *v = y + k * hw;
    gfloat b = bias ? bias[k] : 0.0f;

    if (relu) {
      for (gint64 i = 0; i < hw; i++) {
        gfloat t = v[i] + b;

        v[i] = t > 0.0f ? t : 0.0f;
      }
    } else {
      for (gint64 i = 0; i < hw; i++)
        v[i] += b;
    }
  }
}

/* One product of the forward pass (a group of an image, or a tile of its
 * output rows) as the pool's parts see it. */
typedef struct
{
  const ConvShape *s;
  const GnetWindow *w;
  const gfloat *x;              /* the group's input */
  GnetSgemm g;                  /* B is the scratch, or x when pointwise */
  gint64 r0, r1;                /* output rows of the tile */
  gboolean pointwise;
  gint64 band_rows;             /* part_band: rows a tile, and */
  gint64 band_floats;           /* the scratch each part has */
} ConvJob;

/* [*lo, *hi) of part i of n of [0, len), in steps of `grain`. */
static inline void
split (gint64 len, gint64 grain, guint i, guint n, gint64 * lo, gint64 * hi)
{
  gint64 steps = (len + grain - 1) / grain;

  *lo = MIN (len, steps * i / n * grain);
  *hi = MIN (len, steps * (i + 1) / n * grain);
}

/* Each part unfolds its own output rows and computes their columns: no
 * part waits for another. */
static void
part_rows (gpointer data, guint i, guint n)
{
  const ConvJob *j = data;
  const gint64 wo = j->s->wo;
  gint64 ra, rb;

  split (j->r1 - j->r0, 1, i, n, &ra, &rb);
  if (ra == rb)
    return;
  im2col (j->x, j->s, j->w, 0, j->s->cg, j->r0 + ra, j->r0 + rb,
      (gfloat *) j->g.b + ra * wo, j->g.ldb);
  gnet__sgemm (&j->g, 0, j->g.m, ra * wo, rb * wo);
}

/* Tall outputs: each part takes a band of output rows [r0, r1) and runs
 * its tiles one after another in its own share of the scratch, so the
 * parts meet once per convolution instead of once per tile. */
static void
part_band (gpointer data, guint i, guint n)
{
  const ConvJob *j = data;
  const gint64 wo = j->s->wo;
  gfloat *col = (gfloat *) j->g.b + i * j->band_floats;
  gint64 lo, hi;

  split (j->r1 - j->r0, 1, i, n, &lo, &hi);
  for (gint64 r = j->r0 + lo; r < j->r0 + hi; r += j->band_rows) {
    GnetSgemm g = j->g;
    gint64 r1 = MIN (r + j->band_rows, j->r0 + hi);

    g.n = g.ldb = (r1 - r) * wo;
    g.b = col;
    g.c += (r - j->r0) * wo;
    im2col (j->x, j->s, j->w, 0, j->s->cg, r, r1, col, g.ldb);
    gnet__sgemm (&g, 0, g.m, 0, g.n);
  }
}

/* Pointwise: column panels split among the parts. */
static void
part_cols (gpointer data, guint i, guint n)
{
  const ConvJob *j = data;
  gint64 lo, hi;

  split (j->g.n, GNET_SGEMM_NR, i, n, &lo, &hi);
  if (lo < hi)
    gnet__sgemm (&j->g, 0, j->g.m, lo, hi);
}

/* Narrow products (14x14 and 7x7 layers): first the channels are unfolded
 * in parts, then the output channels computed in parts. */
static void
part_unfold (gpointer data, guint i, guint n)
{
  const ConvJob *j = data;
  gint64 lo, hi;

  split (j->s->cg, 1, i, n, &lo, &hi);
  if (lo < hi)
    im2col (j->x, j->s, j->w, lo, hi, j->r0, j->r1, (gfloat *) j->g.b,
        j->g.ldb);
}

static void
part_m (gpointer data, guint i, guint n)
{
  const ConvJob *j = data;
  gint64 grain = j->g.m / n >= 4 * GNET_SGEMM_MR ? GNET_SGEMM_MR : 4;
  gint64 lo, hi;

  split (j->g.m, grain, i, n, &lo, &hi);
  if (lo < hi)
    gnet__sgemm (&j->g, lo, hi, 0, j->g.n);
}

static void
run_job (ConvJob * j, guint threads)
{
  gint64 panels = (j->g.n + GNET_SGEMM_NR - 1) / GNET_SGEMM_NR;
  /* Wide enough that each part has several panels: split the columns. */
  gboolean wide = threads <= 1 || (panels >= 4 * (gint64) threads
      && (j->pointwise || j->r1 - j->r0 >= 2 * (gint64) threads));

  if (wide) {
    gnet__parallel_run (threads, j->pointwise ? part_cols : part_rows, j);
    return;
  }
  if (!j->pointwise)
    gnet__parallel_run (threads, part_unfold, j);
  gnet__parallel_run (threads, part_m, j);
}

/* One call of the forward pass, as conv_image and the batch's parts see
 * it. */
typedef struct
{
  const GnetNode *node;
  const ConvShape *s;
  const gfloat *x, *wt, *bias;
  gfloat *y;
  gint64 bstride, mg, k, hwo, rows;
  gint64 tile_floats;           /* one fast tile: k x rows x Wo */
  gboolean tiles_fit;           /* one per thread fits the scratch */
  gfloat *scratch;
} ConvCall;

/* Image b of the batch, its layers split in `threads` parts, unfolding into
 * `scratch` (a fast tile's worth per part). */
static void
conv_image (const ConvCall * c, gint64 b, guint threads, gfloat * scratch)
{
  const ConvParams *p = c->node->params;
  const ConvShape *s = c->s;
  gfloat *yb = c->y + b * c->bstride;

  for (gint64 g = 0; g < p->group; g++) {
    ConvJob j = {
      .s = s,.w = &p->w,
      .x = c->x + (b * s->c + g * s->cg) * s->h * s->w,
      .pointwise = s->pointwise,
      .g = {
            .m = c->mg,.k = c->k,
            .a = c->wt + g * c->mg * c->k,
            .ldc = c->hwo,
            .bias = c->bias ? c->bias + g * c->mg : NULL,
            .relu = c->node->fuse_relu,
          },
    };
    gfloat *yg = yb + g * c->mg * c->hwo;

    if (s->pointwise) {
      j.g.n = j.g.ldb = c->hwo;
      j.g.b = j.x;
      j.g.c = yg;
      run_job (&j, threads);
      continue;
    }
    /* Tall enough for a band of several column panels per part: bands
     * (part_band). */
    if (threads > 1 && c->tiles_fit && s->ho >= 2 * (gint64) threads
        && s->ho / threads * s->wo >= 4 * GNET_SGEMM_NR) {
      j.r0 = 0;
      j.r1 = s->ho;
      j.band_rows = c->rows;
      j.band_floats = c->tile_floats;
      j.g.b = scratch;
      j.g.c = yg;
      gnet__parallel_run (threads, part_band, &j);
      continue;
    }
    for (j.r0 = 0; j.r0 < s->ho; j.r0 += c->rows) {
      j.r1 = MIN (j.r0 + c->rows, s->ho);
      j.g.n = j.g.ldb = (j.r1 - j.r0) * s->wo;
      j.g.b = scratch;
      j.g.c = yg + j.r0 * s->wo;
      run_job (&j, threads);
    }
  }
}

/* A batch of small images (crops mode's windows): each part takes whole
 * images, one thread each, in its own share of the scratch; splitting
 * each small image's layers instead left the threads waiting on each
 * other at every layer of every image. */
static void
part_batch (gpointer data, guint i, guint n)
{
  const ConvCall *c = data;
  gint64 lo, hi;

  split (c->s->n, 1, i, n, &lo, &hi);
  for (gint64 b = lo; b < hi; b++)
    conv_image (c, b, 1, c->scratch + i * c->tile_floats);
}

static void
conv_forward_fast (const GnetNode * node, const GnetView * in,
    GnetView * out, gpointer scratch)
{
  const ConvParams *p = node->params;
  const guint threads = gnet__op_threads ();
  gint64 nb, item;
  ConvShape s;
  ConvCall c = {
    .node = node,.s = &s,
    .x = in[0].data,.wt = in[1].data,
    .bias = has_input (node, 2) ? in[2].data : NULL,
    .y = out[0].data,.scratch = scratch,
  };

  conv_shape (p, &in[0], &in[1], &s, NULL);
  c.rows = fast_tile_rows (&s);
  gnet__out_items (&out[0], &nb, &item, &c.bstride);
  c.mg = s.m / p->group;
  c.k = s.cg * s.kh * s.kw;
  c.hwo = s.ho * s.wo;
  c.tile_floats = s.pointwise ? 0 : c.k * c.rows * s.wo;
  c.tiles_fit = threads * c.tile_floats <= scratch_floats (&s);

  /* Images too small to split well, and a tile per part fits. */
  if (threads > 1 && c.tiles_fit && s.n >= threads
      && c.hwo < 4 * GNET_SGEMM_NR * threads) {
    gnet__parallel_run (threads, part_batch, &c);
    return;
  }
  for (gint64 b = 0; b < s.n; b++)
    conv_image (&c, b, threads, scratch);
}

/* Without AVX-512: im2col and OpenBLAS's SGEMM (threaded by OpenBLAS), then
 * bias and Relu in a pass of their own. */
static void
conv_forward (const GnetNode * node, const GnetView * in, GnetView * out,
    gpointer scratch)
{
  const ConvParams *p = node->params;
  const gfloat *x = in[0].data, *wt = in[1].data;
  const gfloat *bias = has_input (node, 2) ? in[2].data : NULL;
  gfloat *y = out[0].data;
  gint64 nb, item, bstride, mg, k, hwo, rows;
  ConvShape s;

  if (gnet__sgemm_available ()) {
    conv_forward_fast (node, in, out, scratch);
    return;
  }
  conv_shape (p, &in[0], &in[1], &s, NULL);
  rows = tile_rows (&s);
  gnet__out_items (&out[0], &nb, &item, &bstride);
  mg = s.m / p->group;
  k = s.cg * s.kh * s.kw;
  hwo = s.ho * s.wo;

  for (gint64 b = 0; b < s.n; b++) {
    gfloat *yb = y + b * bstride;

    for (gint64 g = 0; g < p->group; g++) {
      const gfloat *xg = x + (b * s.c + g * s.cg) * s.h * s.w;
      const gfloat *wg = wt + g * mg * k;
      gfloat *yg = yb + g * mg * hwo;

      if (s.pointwise) {
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, mg, hwo, k,
            1.0f, wg, k, xg, hwo, 0.0f, yg, hwo);
        continue;
      }
      /* One SGEMM per tile of output rows, into the matching columns. */
      for (gint64 r0 = 0; r0 < s.ho; r0 += rows) {
        gint64 r1 = MIN (r0 + rows, s.ho), n = (r1 - r0) * s.wo;

        im2col (xg, &s, &p->w, 0, s.cg, r0, r1, scratch, n);
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, mg, n, k,
            1.0f, wg, k, scratch, n, 0.0f, yg + r0 * s.wo, hwo);
      }
    }
    if (bias || node->fuse_relu)
      bias_relu (yb, bias, s.m, hwo, node->fuse_relu);
  }
}

const GnetOp gnet__op_conv = {
  .type = "Conv",
  .min_opset = 1,
  .params_size = sizeof (ConvParams),
  .min_inputs = 2,.max_inputs = 3,
  .min_outputs = 1,.max_outputs = 1,
  .flags = GNET_OP_STRIDED_OUTPUT,
  .init = conv_init,
  .infer = conv_infer,
  .forward = conv_forward,
};
