/* harness.c - frames and appsrc ! googlenetdetect ! appsink pipelines for
 * the element's GstCheck tests (see harness.h). */
#include "harness.h"

#include <gst/app/app.h>
#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Frames                                                                   */
/* ------------------------------------------------------------------------ */

GstBuffer *
make_frame (GstVideoFormat format, gint width, gint height, Square sq)
{
  GstVideoInfo rgb_info, info;
  GstVideoFrame in, out;
  GstVideoConverter *conv;
  GstBuffer *rgb, *buf;
  gint x, y;

  gst_video_info_set_format (&rgb_info, GST_VIDEO_FORMAT_RGB, width, height);
  /* Zeroed, row padding included, so whole buffers can be compared. */
  rgb = gst_buffer_new_allocate (NULL, rgb_info.size, NULL);
  gst_buffer_memset (rgb, 0, 0, rgb_info.size);
  fail_unless (gst_video_frame_map (&in, &rgb_info, rgb, GST_MAP_WRITE));
  for (y = 0; y < height; y++) {
    guint8 *row = GST_VIDEO_FRAME_PLANE_DATA (&in, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (&in, 0);
    for (x = 0; x < width; x++) {
      gboolean red = sq.size > 0 && x >= sq.x && x < sq.x + sq.size
          && y >= sq.y && y < sq.y + sq.size;
      row[3 * x + 0] = red ? 255 : 128;
      row[3 * x + 1] = red ? 0 : 128;
      row[3 * x + 2] = red ? 0 : 128;
    }
  }
  gst_video_frame_unmap (&in);
  if (format == GST_VIDEO_FORMAT_RGB)
    return rgb;

  gst_video_info_set_format (&info, format, width, height);
  buf = gst_buffer_new_allocate (NULL, info.size, NULL);
  gst_buffer_memset (buf, 0, 0, info.size);
  conv = gst_video_converter_new (&rgb_info, &info, NULL);
  fail_unless (gst_video_frame_map (&in, &rgb_info, rgb, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&out, &info, buf, GST_MAP_WRITE));
  gst_video_converter_frame (conv, &in, &out);
  gst_video_frame_unmap (&out);
  gst_video_frame_unmap (&in);
  gst_video_converter_free (conv);
  gst_buffer_unref (rgb);
  return buf;
}

/* ------------------------------------------------------------------------ */
/* appsrc ! googlenetdetect ! appsink                                       */
/* ------------------------------------------------------------------------ */

void
run_set_caps (Run * run, GstVideoFormat format, gint width, gint height)
{
  GstCaps *caps;

  gst_video_info_set_format (&run->info, format, width, height);
  run->info.fps_n = 30;
  run->info.fps_d = 1;
  caps = gst_video_info_to_caps (&run->info);
  g_object_set (run->src, "caps", caps, NULL);
  gst_caps_unref (caps);
}

Run *
run_new (const gchar * model, GstVideoFormat format, gint width,
    gint height, const gchar * props)
{
  Run *run = g_new0 (Run, 1);
  GError *err = NULL;
  gchar *desc;

  run->step = FRAME_DURATION;
  desc = g_strdup_printf ("appsrc name=src format=time ! "
      "googlenetdetect name=det model=\"%s\" %s ! appsink name=sink "
      "sync=false", model, props ? props : "");
  run->pipeline = gst_parse_launch (desc, &err);
  fail_unless (run->pipeline != NULL, "%s: %s", desc, err ? err->message : "?");
  g_free (desc);
  run->src = gst_bin_get_by_name (GST_BIN (run->pipeline), "src");
  run->det = gst_bin_get_by_name (GST_BIN (run->pipeline), "det");
  run->sink = gst_bin_get_by_name (GST_BIN (run->pipeline), "sink");

  run_set_caps (run, format, width, height);

  fail_unless (gst_element_set_state (run->pipeline, GST_STATE_PLAYING)
      != GST_STATE_CHANGE_FAILURE);
  return run;
}

void
run_free (Run * run)
{
  gst_element_set_state (run->pipeline, GST_STATE_NULL);
  g_queue_clear_full (&run->messages, (GDestroyNotify) gst_message_unref);
  gst_object_unref (run->src);
  gst_object_unref (run->det);
  gst_object_unref (run->sink);
  gst_object_unref (run->pipeline);
  g_free (run);
}

/* Pushes `buf` (taking it) stamped as frame number n_pushed. */
void
run_push (Run * run, GstBuffer * buf)
{
  guint n = run->n_pushed++;

  GST_BUFFER_PTS (buf) = n * run->step;
  GST_BUFFER_DTS (buf) = n * run->step;
  GST_BUFFER_DURATION (buf) = run->step;
  GST_BUFFER_OFFSET (buf) = n;
  GST_BUFFER_OFFSET_END (buf) = n + 1;
  if (n == 0)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  else
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (run->src),
          buf), GST_FLOW_OK);
}

GstBuffer *
run_pull (Run * run)
{
  GstSample *sample = gst_app_sink_pull_sample (GST_APP_SINK (run->sink));
  GstBuffer *buf;

  fail_unless (sample != NULL, "no frame came out");
  buf = gst_buffer_ref (gst_sample_get_buffer (sample));
  gst_sample_unref (sample);
  return buf;
}

void
run_finish (Run * run)
{
  GstBus *bus;
  GstMessage *msg;

  gst_app_src_end_of_stream (GST_APP_SRC (run->src));
  fail_unless (gst_app_sink_pull_sample (GST_APP_SINK (run->sink)) == NULL,
      "more frames came out than went in");
  bus = gst_element_get_bus (run->pipeline);
  while ((msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
              GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT))
      && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT)
    g_queue_push_tail (&run->messages, msg);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_object_unref (bus);
}

void
get_rois (GstBuffer * buf, Rois * rois)
{
  gpointer state = NULL;
  GstMeta *meta;

  rois->n = 0;
  while ((meta = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    fail_unless (rois->n < G_N_ELEMENTS (rois->metas));
    rois->metas[rois->n++] = (GstVideoRegionOfInterestMeta *) meta;
  }
}

gchar *
source_path (const gchar * first, ...)
{
  const gchar *srcdir = g_getenv ("GNET_SRCDIR");
  gchar *rel, *path;
  va_list ap;

  g_assert_nonnull (srcdir);
  va_start (ap, first);
  rel = g_build_filename_valist (first, &ap);
  va_end (ap);
  path = g_build_filename (srcdir, rel, NULL);
  g_free (rel);
  return path;
}

gdouble
rect_iou (gint ax, gint ay, gint aw, gint ah, gint bx, gint by, gint bw,
    gint bh)
{
  gint ix = MAX (0, MIN (ax + aw, bx + bw) - MAX (ax, bx));
  gint iy = MAX (0, MIN (ay + ah, by + bh) - MAX (ay, by));
  gdouble inter = (gdouble) ix * iy;

  return inter / ((gdouble) aw * ah + (gdouble) bw * bh - inter);
}

gboolean
buffers_equal (GstBuffer * a, GstBuffer * b)
{
  GstMapInfo ma, mb;
  gboolean eq;

  fail_unless (gst_buffer_map (a, &ma, GST_MAP_READ));
  fail_unless (gst_buffer_map (b, &mb, GST_MAP_READ));
  eq = ma.size == mb.size && memcmp (ma.data, mb.data, ma.size) == 0;
  gst_buffer_unmap (b, &mb);
  gst_buffer_unmap (a, &ma);
  return eq;
}

/* A frame with one red square: at least one detection, all of them "red"
 * and on the square, the most confident one on the square itself; the
 * params structure agrees with the rectangle.  Returns the best ROI. */
GstVideoRegionOfInterestMeta *
check_red_square (GstBuffer * buf, gint width, gint height, Square sq)
{
  Rois rois;
  GstVideoRegionOfInterestMeta *best = NULL;
  gdouble best_conf = -1.0;
  guint i;

  get_rois (buf, &rois);
  fail_unless (rois.n >= 1, "no detection of the red square");
  for (i = 0; i < rois.n; i++) {
    GstVideoRegionOfInterestMeta *roi = rois.metas[i];
    GstStructure *s;
    gint label_id;
    gdouble conf, x_min, y_min, x_max, y_max;

    fail_unless_equals_string (g_quark_to_string (roi->roi_type), "red");
    fail_unless (rect_iou (roi->x, roi->y, roi->w, roi->h, sq.x, sq.y,
            sq.size, sq.size) > 0.1, "box %u,%u %ux%u off square %d,%d %dx%d",
        roi->x, roi->y, roi->w, roi->h, sq.x, sq.y, sq.size, sq.size);

    s = gst_video_region_of_interest_meta_get_param (roi, "detection");
    fail_unless (s != NULL);
    fail_unless_equals_string (gst_structure_get_string (s, "label"), "red");
    fail_unless (gst_structure_get_int (s, "label_id", &label_id));
    fail_unless_equals_int (label_id, 1);
    fail_unless (gst_structure_get_double (s, "confidence", &conf));
    fail_unless (conf >= 0.5 && conf <= 1.0);
    fail_unless (gst_structure_get_double (s, "x_min", &x_min));
    fail_unless (gst_structure_get_double (s, "y_min", &y_min));
    fail_unless (gst_structure_get_double (s, "x_max", &x_max));
    fail_unless (gst_structure_get_double (s, "y_max", &y_max));
    /* Normalised coordinates agree with the pixel rectangle to a pixel. */
    fail_unless (fabs (x_min * width - roi->x) <= 1.0);
    fail_unless (fabs (y_min * height - roi->y) <= 1.0);
    fail_unless (fabs (x_max * width - (roi->x + roi->w)) <= 1.0);
    fail_unless (fabs (y_max * height - (roi->y + roi->h)) <= 1.0);
    if (conf > best_conf) {
      best_conf = conf;
      best = roi;
    }
  }
  fail_unless (rect_iou (best->x, best->y, best->w, best->h, sq.x, sq.y,
          sq.size, sq.size) > 0.5, "best box %u,%u %ux%u vs square %d,%d %dx%d",
      best->x, best->y, best->w, best->h, sq.x, sq.y, sq.size, sq.size);
  return best;
}

guint
n_rois (GstBuffer * buf)
{
  Rois rois;

  get_rois (buf, &rois);
  return rois.n;
}
