/* image.c - stride-aware frames in, planar float network input out.
 *
 * A frame is decoded once to planar RGB floats (0..255), then each pyramid
 * level is resampled from that copy: every output row is resampled
 * vertically from the frame's rows, then horizontally, and normalised.
 * The same resampler serves every pyramid level of both detection
 * strategies, which is what lets dense and crops evaluation agree.
 */
#include "gnet-private.h"
#include "detect-private.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Resampling weights                                                       */
/* ------------------------------------------------------------------------ */

void
gnet__resample_axis_init (GnetResampleAxis * axis, gint in_size, gint out_size)
{
  gdouble scale = (gdouble) in_size / out_size;
  /* The triangle's half-width in input pixels: 1 when upscaling (bilinear),
   * the scale when downscaling (area-like averaging, no aliasing). */
  gdouble support = MAX (scale, 1.0);

  g_return_if_fail (in_size > 0 && out_size > 0);

  axis->in_size = in_size;
  axis->out_size = out_size;
  /* Never more taps than input samples, so shifting a window of taps to
   * end at the last sample (below) keeps it inside the input. */
  axis->taps = MIN ((gint) ceil (support) * 2 + 1, in_size);
  axis->first = g_new (gint, out_size);
  axis->weights = g_new0 (gfloat, (gsize) out_size * axis->taps);

  for (gint i = 0; i < out_size; i++) {
    gdouble center = (i + 0.5) * scale;
    gint lo = (gint) floor (center - support + 0.5);
    gint hi = (gint) floor (center + support + 0.5);
    gfloat *w = axis->weights + (gsize) i * axis->taps;
    gdouble sum = 0.0;

    lo = CLAMP (lo, 0, in_size - 1);
    hi = CLAMP (hi, lo + 1, in_size);
    hi = MIN (hi, lo + axis->taps);
    for (gint j = lo; j < hi; j++) {
      gdouble t = 1.0 - fabs ((j + 0.5 - center) / support);

      w[j - lo] = t > 0.0 ? t : 0.0;
      sum += w[j - lo];
    }
    if (sum <= 0.0) {
      /* Cannot happen for sane sizes; nearest sample rather than NaN. */
      w[0] = 1.0f;
      sum = 1.0;
    }
    for (gint j = 0; j < hi - lo; j++)
      w[j] /= sum;
    /* Keep all taps inside the input so the inner loops need no test. */
    if (lo + axis->taps > in_size) {
      gint shift = lo + axis->taps - in_size;

      memmove (w + shift, w, (hi - lo) * sizeof (gfloat));
      for (gint j = 0; j < shift; j++)
        w[j] = 0.0f;
      lo -= shift;
    }
    axis->first[i] = lo;
  }
}

void
gnet__resample_axis_clear (GnetResampleAxis * axis)
{
  if (axis == NULL)
    return;
  g_free (axis->first);
  g_free (axis->weights);
  memset (axis, 0, sizeof (*axis));
}

/* ------------------------------------------------------------------------ */
/* Formats                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct
{
  gint bpp;                     /* bytes per pixel; 0 for planar YUV */
  gint r, g, b;                 /* byte offsets in a packed pixel */
} FormatInfo;

static const FormatInfo formats[GNET_PIXEL_FORMAT_COUNT] = {
  [GNET_PIXEL_FORMAT_RGB] = {3, 0, 1, 2},
  [GNET_PIXEL_FORMAT_BGR] = {3, 2, 1, 0},
  [GNET_PIXEL_FORMAT_RGBA] = {4, 0, 1, 2},
  [GNET_PIXEL_FORMAT_BGRA] = {4, 2, 1, 0},
  [GNET_PIXEL_FORMAT_ARGB] = {4, 1, 2, 3},
  [GNET_PIXEL_FORMAT_ABGR] = {4, 3, 2, 1},
  [GNET_PIXEL_FORMAT_RGBX] = {4, 0, 1, 2},
  [GNET_PIXEL_FORMAT_BGRX] = {4, 2, 1, 0},
  [GNET_PIXEL_FORMAT_XRGB] = {4, 1, 2, 3},
  [GNET_PIXEL_FORMAT_XBGR] = {4, 3, 2, 1},
  [GNET_PIXEL_FORMAT_I420] = {0, 0, 0, 0},
  [GNET_PIXEL_FORMAT_NV12] = {0, 0, 0, 0},
};

static gboolean
check_plane (const GnetImage * image, guint plane, gint row_bytes,
    const gchar * what, GError ** error)
{
  if (image->planes[plane] == NULL) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_INPUT,
        "image: %s plane is NULL", what);
    return FALSE;
  }
  if (image->strides[plane] < row_bytes) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_INPUT,
        "image: %s stride %d is less than a row (%d bytes)", what,
        image->strides[plane], row_bytes);
    return FALSE;
  }
  return TRUE;
}

gboolean
gnet__image_check (const GnetImage * image, GError ** error)
{
  gint cw;

  if ((guint) image->format >= GNET_PIXEL_FORMAT_COUNT) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_INPUT,
        "image: unknown pixel format %d", (gint) image->format);
    return FALSE;
  }
  if (image->width <= 0 || image->height <= 0) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_INPUT,
        "image: size %dx%d is empty", image->width, image->height);
    return FALSE;
  }
  if (image->width > G_MAXINT / 4) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_INPUT,
        "image: width %d is too large", image->width);
    return FALSE;
  }
  cw = (image->width + 1) / 2;
  switch (image->format) {
    case GNET_PIXEL_FORMAT_I420:
      return check_plane (image, 0, image->width, "Y", error)
          && check_plane (image, 1, cw, "U", error)
          && check_plane (image, 2, cw, "V", error);
    case GNET_PIXEL_FORMAT_NV12:
      return check_plane (image, 0, image->width, "Y", error)
          && check_plane (image, 1, cw * 2, "UV", error);
    default:
      return check_plane (image, 0, image->width * formats[image->format].bpp,
          "packed", error);
  }
}

/* ------------------------------------------------------------------------ */
/* Row decoding                                                             */
/* ------------------------------------------------------------------------ */

static void
decode_packed_row (const guint8 * src, gint width, const FormatInfo * f,
    gfloat * r, gfloat * g, gfloat * b)
{
  for (gint x = 0; x < width; x++, src += f->bpp) {
    r[x] = src[f->r];
    g[x] = src[f->g];
    b[x] = src[f->b];
  }
}

/* BT.601 limited range; chroma is sited with its 2x2 luma block (nearest),
 * which is what GStreamer's default conversion does for I420 too. */
static void
decode_yuv_row (const guint8 * py, const guint8 * pu, const guint8 * pv,
    gint uv_step, gint width, gfloat * r, gfloat * g, gfloat * b)
{
  for (gint x = 0; x < width; x++) {
    gint c = x >> 1;
    gfloat yy = 1.164383f * (py[x] - 16.0f);
    gfloat u = pu[c * uv_step] - 128.0f;
    gfloat v = pv[c * uv_step] - 128.0f;
    gfloat rr = yy + 1.596027f * v;
    gfloat gg = yy - 0.391762f * u - 0.812968f * v;
    gfloat bb = yy + 2.017232f * u;

    r[x] = CLAMP (rr, 0.0f, 255.0f);
    g[x] = CLAMP (gg, 0.0f, 255.0f);
    b[x] = CLAMP (bb, 0.0f, 255.0f);
  }
}

static void
decode_row (const GnetImage * image, gint y, gfloat * r, gfloat * g, gfloat * b)
{
  const guint8 *py = image->planes[0] + (gsize) y * image->strides[0];
  const guint8 *pc;

  /* Planes 1 and 2 only exist for the planar formats: packed images may
   * leave them NULL. */
  switch (image->format) {
    case GNET_PIXEL_FORMAT_I420:
      pc = image->planes[1] + (gsize) (y / 2) * image->strides[1];
      decode_yuv_row (py, pc, image->planes[2]
          + (gsize) (y / 2) * image->strides[2], 1, image->width, r, g, b);
      break;
    case GNET_PIXEL_FORMAT_NV12:
      pc = image->planes[1] + (gsize) (y / 2) * image->strides[1];
      decode_yuv_row (py, pc, pc + 1, 2, image->width, r, g, b);
      break;
    default:
      decode_packed_row (py, image->width, &formats[image->format], r, g, b);
      break;
  }
}

/* ------------------------------------------------------------------------ */
/* Decoding                                                                 */
/* ------------------------------------------------------------------------ */

gsize
gnet__image_decode_floats (gint width, gint height)
{
  return 3 * (gsize) MAX (width, 1) * MAX (height, 1);
}

typedef struct
{
  const GnetImage *image;
  gfloat *frame;                /* 3 x height x width */
} DecodeJob;

static inline gint
part_start (gint total, guint index, guint n)
{
  return (gint) (total * (gint64) index / n);
}

static void
decode_part (gpointer data, guint index, guint n)
{
  const DecodeJob *job = data;
  gint w = job->image->width, h = job->image->height;
  gsize plane = (gsize) w * h;
  gint y0 = part_start (h, index, n), y1 = part_start (h, index + 1, n);

  for (gint y = y0; y < y1; y++) {
    gfloat *r = job->frame + (gsize) y * w;

    decode_row (job->image, y, r, r + plane, r + 2 * plane);
  }
}

void
gnet__image_decode (const GnetImage * image, gfloat * frame, guint n_parts)
{
  DecodeJob job = { image, frame };

  n_parts = MAX (1, n_parts);
  gnet__parallel_run (MIN (n_parts, (guint) image->height), decode_part, &job);
}

/* ------------------------------------------------------------------------ */
/* Resampling                                                               */
/* ------------------------------------------------------------------------ */

gsize
gnet__image_resample_scratch (gint in_width, guint n_parts)
{
  /* one vertically resampled row of each channel per part */
  return 3 * (gsize) MAX (1, n_parts) * MAX (in_width, 1);
}

/* dst[i] = (sum of the taps) * scale + offset */
static void
resample_row (const gfloat * src, const GnetResampleAxis * ax, gfloat scale,
    gfloat offset, gfloat * dst)
{
  for (gint i = 0; i < ax->out_size; i++) {
    const gfloat *s = src + ax->first[i];
    const gfloat *w = ax->weights + (gsize) i * ax->taps;
    gfloat sum = 0.0f;

    for (gint t = 0; t < ax->taps; t++)
      sum += w[t] * s[t];
    dst[i] = sum * scale + offset;
  }
}

typedef struct
{
  const gfloat *frame;          /* 3 x in_height x in_width, RGB */
  gint in_w, in_h;
  const GnetResampleAxis *ax, *ay;
  const GnetNormalize *norm;
  gfloat *rows;                 /* n_parts x 3 x in_width */
  gfloat *out;
} ResampleJob;

/* Output rows of part `index`: each is resampled vertically from the
 * frame's rows (contiguous, so the inner loops vectorise), then
 * horizontally, and normalised.  Vertical first touches each output row's
 * taps once, over the frame's width, where horizontal first would resample
 * every frame row. */
static void
resample_part (gpointer data, guint index, guint n)
{
  const ResampleJob *job = data;
  const GnetResampleAxis *ay = job->ay;
  gint in_w = job->in_w, out_w = job->ax->out_size, out_h = ay->out_size;
  gsize plane = (gsize) job->in_h * in_w;
  gfloat *row = job->rows + (gsize) index * 3 * in_w;
  gint y0 = part_start (out_h, index, n);
  gint y1 = part_start (out_h, index + 1, n);

  for (gint y = y0; y < y1; y++) {
    const gfloat *w = ay->weights + (gsize) y * ay->taps;

    for (gint c = 0; c < 3; c++) {
      /* network channel c is RGB channel src_c */
      gint src_c = job->norm->bgr ? 2 - c : c;
      const gfloat *s = job->frame + src_c * plane
          + (gsize) ay->first[y] * in_w;
      gfloat *r = row + (gsize) c * in_w;

      for (gint x = 0; x < in_w; x++)
        r[x] = w[0] * s[x];
      for (gint t = 1; t < ay->taps; t++) {
        const gfloat *st = s + (gsize) t * in_w;

        if (w[t] == 0.0f)
          continue;
        for (gint x = 0; x < in_w; x++)
          r[x] += w[t] * st[x];
      }
      resample_row (r, job->ax, job->norm->scale[c], job->norm->offset[c],
          job->out + ((gsize) c * out_h + y) * out_w);
    }
  }
}

void
gnet__image_resample (const gfloat * frame, gint width, gint height,
    const GnetResampleAxis * ax, const GnetResampleAxis * ay,
    const GnetNormalize * norm, gfloat * scratch, guint n_parts, gfloat * out)
{
  ResampleJob job = { frame, width, height, ax, ay, norm, scratch, out };

  g_return_if_fail (ax->in_size == width && ay->in_size == height);

  /* Parts are output rows, so every output value is computed the same way
   * whatever the number of parts. */
  n_parts = MAX (1, n_parts);
  gnet__parallel_run (MIN (n_parts, (guint) ay->out_size), resample_part, &job);
}
