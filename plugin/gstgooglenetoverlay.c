/* gstgooglenetoverlay.c - boxes and labels for googlenetdetect.
 *
 * Like GStreamer's textoverlay, shapes and text are rendered by Cairo and
 * Pango into a premultiplied ARGB surface the size of the frame, and that
 * surface is then blended onto the frame in its own format.  Only the
 * rectangles that were drawn into (box edges and label tags) are blended and
 * cleared again, so a frame with few boxes costs little at 1080p, and every
 * other pixel of the frame is left exactly as it was.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgooglenetoverlay.h"

#include <math.h>
#include <string.h>
#include <pango/pangocairo.h>

typedef struct
{
  gint x, y, w, h;
} GstGooglenetRect;

typedef void (*GstGooglenetBlendFunc) (GstGooglenetOverlay * overlay,
    GstVideoFrame * frame, const GstGooglenetRect * rect);

struct _GstGooglenetOverlay
{
  gint width;
  gint height;

  cairo_surface_t *surface;
  guint8 *pixels;
  gint pixels_stride;
  cairo_t *cr;
  PangoLayout *layout;
  gint line_width;
  gint pad;

  /* Rectangles drawn into this frame, widened to even coordinates so that a
   * 2x2 chroma block never straddles two of them. */
  GArray *dirty;
  GstGooglenetBlendFunc blend;

  /* Packed RGB: byte offsets in a pixel (off_a -1 when there is no alpha). */
  gint off_r, off_g, off_b, off_a;
  gint pstride;

  /* YUV: rows of the RGB -> Y'CbCr matrix applied to premultiplied RGB in
   * 0..255, plus the offsets a fully opaque pixel adds. */
  gfloat ky[3], ku[3], kv[3];
  gfloat y_offset;

  gchar text[256];
};

/* Distinct, saturated colours that read well on video; class n gets
 * palette[n % N]. */
static const guint32 palette[] = {
  0xe6194b, 0x3cb44b, 0xffe119, 0x4363d8, 0xf58231, 0x911eb4,
  0x46f0f0, 0xf032e6, 0xbcf60c, 0xfabebe, 0x008080, 0xe6beff,
};

guint32
gst_googlenet_overlay_class_color (gint class_id)
{
  return palette[(guint) MAX (class_id, 0) % G_N_ELEMENTS (palette)];
}

/* 2 px at 240 lines, 4 px at 1080p. */
gint
gst_googlenet_overlay_line_width (gint height)
{
  return MAX (2, (height + 135) / 270);
}

/* Exact x / 255 for x in 0..255*255, rounded. */
static inline guint
div255 (guint x)
{
  x += 128;
  return (x + (x >> 8)) >> 8;
}

static void
blend_packed (GstGooglenetOverlay * overlay, GstVideoFrame * frame,
    const GstGooglenetRect * rect)
{
  guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (frame, 0);
  gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0);
  gint x, y;

  for (y = rect->y; y < rect->y + rect->h; y++) {
    const guint32 *src = (const guint32 *) (overlay->pixels +
        (gsize) y * overlay->pixels_stride) + rect->x;
    guint8 *dst =
        data + (gsize) y * stride + (gsize) rect->x * overlay->pstride;

    for (x = 0; x < rect->w; x++, dst += overlay->pstride) {
      guint32 p = src[x];
      guint a = p >> 24, ia;

      if (a == 0)
        continue;
      ia = 255 - a;
      dst[overlay->off_r] =
          ((p >> 16) & 0xff) + div255 (dst[overlay->off_r] * ia);
      dst[overlay->off_g] =
          ((p >> 8) & 0xff) + div255 (dst[overlay->off_g] * ia);
      dst[overlay->off_b] = (p & 0xff) + div255 (dst[overlay->off_b] * ia);
      if (overlay->off_a >= 0)
        dst[overlay->off_a] = a + div255 (dst[overlay->off_a] * ia);
    }
  }
}

static inline guint8
clamp_u8 (gfloat v)
{
  return (guint8) CLAMP (lrintf (v), 0, 255);
}

/* I420 and NV12: luma per pixel, chroma per 2x2 block from the block's mean
 * premultiplied colour, which is the exact linear blend of the subsampled
 * planes. */
static void
blend_yuv420 (GstGooglenetOverlay * overlay, GstVideoFrame * frame,
    const GstGooglenetRect * rect)
{
  guint8 *ydata = GST_VIDEO_FRAME_COMP_DATA (frame, 0);
  guint8 *udata = GST_VIDEO_FRAME_COMP_DATA (frame, 1);
  guint8 *vdata = GST_VIDEO_FRAME_COMP_DATA (frame, 2);
  gint ystride = GST_VIDEO_FRAME_COMP_STRIDE (frame, 0);
  gint ustride = GST_VIDEO_FRAME_COMP_STRIDE (frame, 1);
  gint vstride = GST_VIDEO_FRAME_COMP_STRIDE (frame, 2);
  gint upstride = GST_VIDEO_FRAME_COMP_PSTRIDE (frame, 1);
  gint vpstride = GST_VIDEO_FRAME_COMP_PSTRIDE (frame, 2);
  const gfloat *ky = overlay->ky, *ku = overlay->ku, *kv = overlay->kv;
  gint x, y;

  for (y = rect->y; y < rect->y + rect->h; y += 2) {
    for (x = rect->x; x < rect->x + rect->w; x += 2) {
      guint sa = 0, sr = 0, sg = 0, sb = 0, n = 0;
      gint dx, dy;
      gfloat a, r, g, b;
      guint8 *u, *v;

      for (dy = 0; dy < 2 && y + dy < overlay->height; dy++) {
        const guint32 *src = (const guint32 *) (overlay->pixels +
            (gsize) (y + dy) * overlay->pixels_stride);
        for (dx = 0; dx < 2 && x + dx < overlay->width; dx++) {
          guint32 p = src[x + dx];
          sa += p >> 24;
          sr += (p >> 16) & 0xff;
          sg += (p >> 8) & 0xff;
          sb += p & 0xff;
          n++;
        }
      }
      if (sa == 0)
        continue;
      a = sa / (255.0f * n);
      r = (gfloat) sr / n;
      g = (gfloat) sg / n;
      b = (gfloat) sb / n;
      u = udata + (gsize) (y / 2) * ustride + (gsize) (x / 2) * upstride;
      v = vdata + (gsize) (y / 2) * vstride + (gsize) (x / 2) * vpstride;
      *u = clamp_u8 (128.0f * a + ku[0] * r + ku[1] * g + ku[2] * b
          + *u * (1.0f - a));
      *v = clamp_u8 (128.0f * a + kv[0] * r + kv[1] * g + kv[2] * b
          + *v * (1.0f - a));
    }
  }

  for (y = rect->y; y < rect->y + rect->h; y++) {
    const guint32 *src = (const guint32 *) (overlay->pixels +
        (gsize) y * overlay->pixels_stride);
    guint8 *dst = ydata + (gsize) y * ystride;

    for (x = rect->x; x < rect->x + rect->w; x++) {
      guint32 p = src[x];
      gfloat a = (p >> 24) / 255.0f;

      if (a == 0.0f)
        continue;
      dst[x] = clamp_u8 (overlay->y_offset * a + ky[0] * ((p >> 16) & 0xff)
          + ky[1] * ((p >> 8) & 0xff) + ky[2] * (p & 0xff)
          + dst[x] * (1.0f - a));
    }
  }
}

static void
setup_yuv_matrix (GstGooglenetOverlay * overlay, const GstVideoInfo * info)
{
  gdouble kr, kb, kg, ys, cs;

  /* The frame's own colorimetry decides the matrix and range; unknown
   * matrices fall back to BT.601 like most SD material. */
  if (!gst_video_color_matrix_get_Kr_Kb (info->colorimetry.matrix, &kr, &kb)) {
    kr = 0.299;
    kb = 0.114;
  }
  kg = 1.0 - kr - kb;
  if (info->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255) {
    ys = cs = 1.0;
    overlay->y_offset = 0.0f;
  } else {
    ys = 219.0 / 255.0;
    cs = 224.0 / 255.0;
    overlay->y_offset = 16.0f;
  }
  overlay->ky[0] = ys * kr;
  overlay->ky[1] = ys * kg;
  overlay->ky[2] = ys * kb;
  overlay->ku[0] = cs * -kr / (2.0 * (1.0 - kb));
  overlay->ku[1] = cs * -kg / (2.0 * (1.0 - kb));
  overlay->ku[2] = cs * (1.0 - kb) / (2.0 * (1.0 - kb));
  overlay->kv[0] = cs * (1.0 - kr) / (2.0 * (1.0 - kr));
  overlay->kv[1] = cs * -kg / (2.0 * (1.0 - kr));
  overlay->kv[2] = cs * -kb / (2.0 * (1.0 - kr));
}

GstGooglenetOverlay *
gst_googlenet_overlay_new (const GstVideoInfo * info)
{
  GstGooglenetOverlay *overlay;
  const GstVideoFormatInfo *finfo = info->finfo;
  PangoFontDescription *font;
  gint font_px;

  g_return_val_if_fail (info != NULL, NULL);

  overlay = g_new0 (GstGooglenetOverlay, 1);
  overlay->width = GST_VIDEO_INFO_WIDTH (info);
  overlay->height = GST_VIDEO_INFO_HEIGHT (info);

  switch (GST_VIDEO_INFO_FORMAT (info)) {
    case GST_VIDEO_FORMAT_I420:
    case GST_VIDEO_FORMAT_NV12:
      overlay->blend = blend_yuv420;
      setup_yuv_matrix (overlay, info);
      break;
    case GST_VIDEO_FORMAT_RGB:
    case GST_VIDEO_FORMAT_BGR:
    case GST_VIDEO_FORMAT_RGBA:
    case GST_VIDEO_FORMAT_BGRA:
    case GST_VIDEO_FORMAT_ARGB:
    case GST_VIDEO_FORMAT_ABGR:
    case GST_VIDEO_FORMAT_RGBx:
    case GST_VIDEO_FORMAT_BGRx:
    case GST_VIDEO_FORMAT_xRGB:
    case GST_VIDEO_FORMAT_xBGR:
      overlay->blend = blend_packed;
      overlay->pstride = GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, 0);
      overlay->off_r = GST_VIDEO_FORMAT_INFO_POFFSET (finfo, GST_VIDEO_COMP_R);
      overlay->off_g = GST_VIDEO_FORMAT_INFO_POFFSET (finfo, GST_VIDEO_COMP_G);
      overlay->off_b = GST_VIDEO_FORMAT_INFO_POFFSET (finfo, GST_VIDEO_COMP_B);
      overlay->off_a = GST_VIDEO_FORMAT_INFO_HAS_ALPHA (finfo) ?
          (gint) GST_VIDEO_FORMAT_INFO_POFFSET (finfo, GST_VIDEO_COMP_A) : -1;
      break;
    default:
      g_free (overlay);
      return NULL;
  }

  overlay->surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32,
      overlay->width, overlay->height);
  overlay->cr = cairo_create (overlay->surface);
  cairo_surface_flush (overlay->surface);
  overlay->pixels = cairo_image_surface_get_data (overlay->surface);
  overlay->pixels_stride = cairo_image_surface_get_stride (overlay->surface);
  if (overlay->pixels == NULL)
    goto no_surface;
  memset (overlay->pixels, 0, (gsize) overlay->pixels_stride * overlay->height);
  cairo_surface_mark_dirty (overlay->surface);

  /* Text about 1/36 of the frame height, never below 11 px, so a label is
   * legible on a 320x240 preview and not tiny at 1080p. */
  font_px = MAX (11, overlay->height / 36);
  overlay->line_width = gst_googlenet_overlay_line_width (overlay->height);
  overlay->pad = MAX (2, font_px / 6);
  overlay->layout = pango_cairo_create_layout (overlay->cr);
  font = pango_font_description_from_string ("Sans Bold");
  pango_font_description_set_absolute_size (font, font_px * PANGO_SCALE);
  pango_layout_set_font_description (overlay->layout, font);
  pango_font_description_free (font);
  pango_layout_set_single_paragraph_mode (overlay->layout, TRUE);

  overlay->dirty = g_array_sized_new (FALSE, FALSE, sizeof (GstGooglenetRect),
      64);
  return overlay;

  /* ERRORS */
no_surface:
  {
    gst_googlenet_overlay_free (overlay);
    return NULL;
  }
}

void
gst_googlenet_overlay_free (GstGooglenetOverlay * overlay)
{
  if (overlay == NULL)
    return;
  if (overlay->layout)
    g_object_unref (overlay->layout);
  if (overlay->cr)
    cairo_destroy (overlay->cr);
  if (overlay->surface)
    cairo_surface_destroy (overlay->surface);
  if (overlay->dirty)
    g_array_free (overlay->dirty, TRUE);
  g_free (overlay);
}

static void
add_dirty (GstGooglenetOverlay * overlay, gint x0, gint y0, gint x1, gint y1)
{
  GstGooglenetRect r;

  x0 = CLAMP (x0, 0, overlay->width) & ~1;
  y0 = CLAMP (y0, 0, overlay->height) & ~1;
  x1 = MIN ((CLAMP (x1, 0, overlay->width) + 1) & ~1, overlay->width);
  y1 = MIN ((CLAMP (y1, 0, overlay->height) + 1) & ~1, overlay->height);
  if (x1 <= x0 || y1 <= y0)
    return;
  r.x = x0;
  r.y = y0;
  r.w = x1 - x0;
  r.h = y1 - y0;
  g_array_append_val (overlay->dirty, r);
}

static void
set_source_rgb (cairo_t * cr, guint32 rgb)
{
  cairo_set_source_rgb (cr, ((rgb >> 16) & 0xff) / 255.0,
      ((rgb >> 8) & 0xff) / 255.0, (rgb & 0xff) / 255.0);
}

static void
draw_box (GstGooglenetOverlay * overlay, const GnetBox * box)
{
  cairo_t *cr = overlay->cr;
  gint lw = overlay->line_width, pad = overlay->pad;
  gint x0, y0, x1, y1, tw, th, tag_w, tag_h, tx, ty;
  guint32 color = gst_googlenet_overlay_class_color (box->class_id);
  guint luma;

  x0 = CLAMP ((gint) floorf (box->x0), 0, overlay->width - 1);
  y0 = CLAMP ((gint) floorf (box->y0), 0, overlay->height - 1);
  x1 = CLAMP ((gint) ceilf (box->x1), x0 + 1, overlay->width);
  y1 = CLAMP ((gint) ceilf (box->y1), y0 + 1, overlay->height);

  /* The outline lies inside the box, so a box touching the frame edge keeps
   * all of its outline visible. */
  set_source_rgb (cr, color);
  if (x1 - x0 <= 2 * lw || y1 - y0 <= 2 * lw) {
    cairo_rectangle (cr, x0, y0, x1 - x0, y1 - y0);
    cairo_fill (cr);
    add_dirty (overlay, x0, y0, x1, y1);
  } else {
    cairo_set_line_width (cr, lw);
    cairo_rectangle (cr, x0 + lw / 2.0, y0 + lw / 2.0, x1 - x0 - lw,
        y1 - y0 - lw);
    cairo_stroke (cr);
    add_dirty (overlay, x0, y0, x1, y0 + lw);
    add_dirty (overlay, x0, y1 - lw, x1, y1);
    add_dirty (overlay, x0, y0 + lw, x0 + lw, y1 - lw);
    add_dirty (overlay, x1 - lw, y0 + lw, x1, y1 - lw);
  }

  g_snprintf (overlay->text, sizeof (overlay->text), "%s %d%%",
      box->label ? box->label : "?", (gint) lrintf (box->confidence * 100.0f));
  pango_layout_set_text (overlay->layout, overlay->text, -1);
  pango_layout_get_pixel_size (overlay->layout, &tw, &th);
  tag_w = tw + 2 * pad;
  tag_h = th + 2 * pad;

  /* Above the box when there is room, else just inside its top edge; pulled
   * left when it would run off the frame. */
  tx = x0;
  if (tx + tag_w > overlay->width)
    tx = MAX (0, overlay->width - tag_w);
  ty = y0 - tag_h;
  if (ty < 0)
    ty = y0;

  cairo_rectangle (cr, tx, ty, tag_w, tag_h);
  cairo_fill (cr);
  luma = (299 * ((color >> 16) & 0xff) + 587 * ((color >> 8) & 0xff) +
      114 * (color & 0xff)) / 1000;
  if (luma > 140)
    cairo_set_source_rgb (cr, 0.0, 0.0, 0.0);
  else
    cairo_set_source_rgb (cr, 1.0, 1.0, 1.0);
  /* Glyph ink may stray past the logical extents; whatever lands outside the
   * tag would never be blended or cleared. */
  cairo_save (cr);
  cairo_rectangle (cr, tx, ty, tag_w, tag_h);
  cairo_clip (cr);
  cairo_move_to (cr, tx + pad, ty + pad);
  pango_cairo_show_layout (cr, overlay->layout);
  cairo_restore (cr);
  add_dirty (overlay, tx, ty, tx + tag_w, ty + tag_h);
}

void
gst_googlenet_overlay_draw (GstGooglenetOverlay * overlay,
    GstVideoFrame * frame, const GnetBox * boxes, guint n_boxes)
{
  guint i;

  g_return_if_fail (overlay != NULL);
  g_return_if_fail (GST_VIDEO_FRAME_WIDTH (frame) == overlay->width);
  g_return_if_fail (GST_VIDEO_FRAME_HEIGHT (frame) == overlay->height);

  if (n_boxes == 0)
    return;

  g_array_set_size (overlay->dirty, 0);
  for (i = 0; i < n_boxes; i++)
    draw_box (overlay, &boxes[i]);
  cairo_surface_flush (overlay->surface);

  /* Blending a rectangle clears it on the surface, so pixels shared by two
   * overlapping rectangles are blended once. */
  for (i = 0; i < overlay->dirty->len; i++) {
    const GstGooglenetRect *r =
        &g_array_index (overlay->dirty, GstGooglenetRect, i);
    gint y;

    overlay->blend (overlay, frame, r);
    for (y = r->y; y < r->y + r->h; y++)
      memset (overlay->pixels + (gsize) y * overlay->pixels_stride +
          (gsize) r->x * 4, 0, (gsize) r->w * 4);
  }
  cairo_surface_mark_dirty (overlay->surface);
}
