/* test-googlenetdetect.c - GstCheck tests of the googlenetdetect element.
 *
 * Frames are made here: a grey RGB picture with a pure red square, turned
 * into each supported format by GstVideoConverter (the reference, not the
 * element's code).  The model is tests/fixtures/plugin/red.onnx, whose
 * scores can be worked out by hand: a 32x32 window more than about half red
 * is "red", a grey frame has nothing.  The pipelines are appsrc (not live,
 * so detection is deterministic, one frame after the other) ->
 * googlenetdetect -> appsink.
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/app/app.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include "gnet.h"
#include "harness.h"
#include <glib/gstdio.h>
#include <string.h>

static gchar *red_model;
static gchar *slow_model;

static const GstVideoFormat all_formats[] = {
  GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_RGBA,
  GST_VIDEO_FORMAT_BGRA, GST_VIDEO_FORMAT_ARGB, GST_VIDEO_FORMAT_ABGR,
  GST_VIDEO_FORMAT_RGBx, GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_xRGB,
  GST_VIDEO_FORMAT_xBGR, GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_NV12,
};

/* One frame through a fresh pipeline. */
static GstBuffer *
detect_one (const gchar * props, GstVideoFormat format, gint width,
    gint height, Square sq)
{
  Run *run = run_new (red_model, format, width, height, props);
  GstBuffer *out;

  run_push (run, make_frame (format, width, height, sq));
  out = run_pull (run);
  run_finish (run);
  run_free (run);
  return out;
}

/* ------------------------------------------------------------------------ */
/* Formats, sizes, timestamps                                               */
/* ------------------------------------------------------------------------ */

static void
check_passes_frames (GstVideoFormat format, gint width, gint height)
{
  Run *run = run_new (red_model, format, width, height, NULL);
  Square none = { 0, 0, 0 };
  GstBuffer *in[3];
  guint i;

  for (i = 0; i < G_N_ELEMENTS (in); i++) {
    in[i] = make_frame (format, width, height, none);
    run_push (run, gst_buffer_ref (in[i]));
  }
  for (i = 0; i < G_N_ELEMENTS (in); i++) {
    GstBuffer *out = run_pull (run);
    const GstBufferFlags flags = GST_BUFFER_FLAG_DISCONT |
        GST_BUFFER_FLAG_DELTA_UNIT;
    Rois rois;

    fail_unless_equals_uint64 (GST_BUFFER_PTS (out), GST_BUFFER_PTS (in[i]));
    fail_unless_equals_uint64 (GST_BUFFER_DTS (out), GST_BUFFER_DTS (in[i]));
    fail_unless_equals_uint64 (GST_BUFFER_DURATION (out),
        GST_BUFFER_DURATION (in[i]));
    fail_unless_equals_uint64 (GST_BUFFER_OFFSET (out),
        GST_BUFFER_OFFSET (in[i]));
    fail_unless_equals_int (GST_BUFFER_FLAGS (out) & flags,
        GST_BUFFER_FLAGS (in[i]) & flags);
    fail_unless_equals_int (gst_buffer_get_size (out),
        gst_buffer_get_size (in[i]));
    get_rois (out, &rois);
    fail_unless_equals_int (rois.n, 0);
    /* Grey frame, no detections: nothing drawn either. */
    fail_unless (buffers_equal (in[i], out));
    gst_buffer_unref (out);
    gst_buffer_unref (in[i]);
  }
  run_finish (run);
  run_free (run);
}

GST_START_TEST (test_formats_and_sizes)
{
  static const gint sizes[][2] = { {1, 1}, {97, 61}, {1920, 1080} };
  guint f, s;

  for (f = 0; f < G_N_ELEMENTS (all_formats); f++)
    for (s = 0; s < G_N_ELEMENTS (sizes); s++) {
      GST_INFO ("%s %dx%d", gst_video_format_to_string (all_formats[f]),
          sizes[s][0], sizes[s][1]);
      check_passes_frames (all_formats[f], sizes[s][0], sizes[s][1]);
    }
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Detections and metadata                                                  */
/* ------------------------------------------------------------------------ */

GST_START_TEST (test_detects_in_every_format)
{
  Square sq = { 60, 40, 40 };
  guint f;

  for (f = 0; f < G_N_ELEMENTS (all_formats); f++) {
    GstBuffer *out = detect_one ("draw=false", all_formats[f], 160, 120, sq);

    GST_INFO ("%s", gst_video_format_to_string (all_formats[f]));
    check_red_square (out, 160, 120, sq);
    gst_buffer_unref (out);
  }
  /* An odd size, the square touching the right and bottom edges. */
  {
    Square edge = { 57, 21, 40 };
    GstBuffer *out = detect_one ("draw=false", GST_VIDEO_FORMAT_I420, 97, 61,
        edge);

    check_red_square (out, 97, 61, edge);
    gst_buffer_unref (out);
  }
}

GST_END_TEST;

static void
check_strategies_agree (const gchar * model, Square sq, const gchar * label)
{
  GstBuffer *dense, *crops;
  Rois a, b;
  guint i;
  gchar *props[2];

  props[0] = g_strdup_printf ("model=\"%s\" mode=dense draw=false "
      "threshold=0.2", model);
  props[1] = g_strdup_printf ("model=\"%s\" mode=crops draw=false "
      "threshold=0.2", model);
  dense = detect_one (props[0], GST_VIDEO_FORMAT_RGB, 160, 120, sq);
  crops = detect_one (props[1], GST_VIDEO_FORMAT_RGB, 160, 120, sq);
  get_rois (dense, &a);
  get_rois (crops, &b);
  fail_unless (a.n >= 1);
  fail_unless_equals_int (a.n, b.n);
  for (i = 0; i < a.n; i++) {
    gdouble ca, cb;

    fail_unless_equals_int (a.metas[i]->x, b.metas[i]->x);
    fail_unless_equals_int (a.metas[i]->y, b.metas[i]->y);
    fail_unless_equals_int (a.metas[i]->w, b.metas[i]->w);
    fail_unless_equals_int (a.metas[i]->h, b.metas[i]->h);
    fail_unless_equals_int (a.metas[i]->roi_type, b.metas[i]->roi_type);
    gst_structure_get_double (gst_video_region_of_interest_meta_get_param
        (a.metas[i], "detection"), "confidence", &ca);
    gst_structure_get_double (gst_video_region_of_interest_meta_get_param
        (b.metas[i], "detection"), "confidence", &cb);
    fail_unless (fabs (ca - cb) < 1e-3, "%g vs %g", ca, cb);
  }
  fail_unless (strstr (g_quark_to_string (a.metas[0]->roi_type), label));
  gst_buffer_unref (dense);
  gst_buffer_unref (crops);
  g_free (props[0]);
  g_free (props[1]);
}

GST_START_TEST (test_dense_and_crops_agree)
{
  Square big = { 50, 30, 44 }, small = { 70, 50, 20 };
  gchar *trained = source_path ("tests", "fixtures", "detector",
      "detector.onnx", NULL);

  /* The hand-built model, and the detector tests' trained one (3x3
   * convolutions and pools, three window sizes). */
  check_strategies_agree (red_model, big, "red");
  check_strategies_agree (trained, small, "square");
  g_free (trained);
}

GST_END_TEST;

/* The element's metadata is what libgnet itself finds on the same frame. */
GST_START_TEST (test_metadata_matches_core_detector)
{
  Square sq = { 44, 36, 48 };
  GstBuffer *in = make_frame (GST_VIDEO_FORMAT_RGB, 160, 120, sq), *out;
  GnetDetectorParams params;
  GnetDetector *det;
  GnetModel *model;
  GnetImage image = { GNET_PIXEL_FORMAT_RGB, 160, 120 };
  GstMapInfo map;
  const GnetBox *boxes;
  guint n_boxes, i;
  Rois rois;

  out = detect_one ("draw=false threshold=0.3", GST_VIDEO_FORMAT_RGB, 160,
      120, sq);
  get_rois (out, &rois);

  model = gnet_model_load_file (red_model, NULL);
  fail_unless (model != NULL);
  gnet_detector_params_init (&params);
  params.threshold = 0.3f;
  det = gnet_detector_new (model, &params, NULL);
  fail_unless (det != NULL);
  fail_unless (gst_buffer_map (in, &map, GST_MAP_READ));
  image.planes[0] = map.data;
  image.strides[0] = GST_ROUND_UP_4 (160 * 3);
  fail_unless (gnet_detector_process (det, &image, &boxes, &n_boxes, NULL));

  fail_unless (n_boxes >= 1);
  fail_unless_equals_int (rois.n, n_boxes);
  for (i = 0; i < n_boxes; i++) {
    GstVideoRegionOfInterestMeta *roi = rois.metas[i];
    GstStructure *p = gst_video_region_of_interest_meta_get_param (roi,
        "detection");
    gdouble conf;
    gint id;

    fail_unless_equals_string (g_quark_to_string (roi->roi_type),
        boxes[i].label);
    /* whole pixels, as the element rounds them */
    fail_unless_equals_int (roi->x, lrintf (boxes[i].x0));
    fail_unless_equals_int (roi->y, lrintf (boxes[i].y0));
    fail_unless_equals_int (roi->x + roi->w, lrintf (boxes[i].x1));
    fail_unless_equals_int (roi->y + roi->h, lrintf (boxes[i].y1));
    fail_unless (gst_structure_get_double (p, "confidence", &conf));
    fail_unless (fabs (conf - boxes[i].confidence) < 1e-6);
    fail_unless (gst_structure_get_int (p, "label_id", &id));
    fail_unless_equals_int (id, boxes[i].class_id);
  }

  gst_buffer_unmap (in, &map);
  gnet_detector_free (det);
  gnet_model_unref (model);
  gst_buffer_unref (in);
  gst_buffer_unref (out);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Drawing                                                                  */
/* ------------------------------------------------------------------------ */

/* The first plane's bytes of pixel (x, y), as a packed value. */
static guint32
pixel_at (GstVideoFrame * f, gint x, gint y)
{
  const GstVideoFormatInfo *finfo = f->info.finfo;
  guint8 *p;
  guint32 v = 0;
  gint i, pstride = GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, 0);

  p = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (f, 0) +
      y * GST_VIDEO_FRAME_PLANE_STRIDE (f, 0) + x * pstride;
  for (i = 0; i < pstride; i++)
    v = (v << 8) | p[i];
  return v;
}

GST_START_TEST (test_draw_false_changes_nothing)
{
  Square sq = { 60, 40, 40 };
  guint f;

  for (f = 0; f < G_N_ELEMENTS (all_formats); f++) {
    Run *run = run_new (red_model, all_formats[f], 160, 120, "draw=false");
    GstBuffer *in = make_frame (all_formats[f], 160, 120, sq), *out;

    run_push (run, gst_buffer_ref (in));
    out = run_pull (run);
    check_red_square (out, 160, 120, sq);
    fail_unless (buffers_equal (in, out), "%s: draw=false changed pixels",
        gst_video_format_to_string (all_formats[f]));
    gst_buffer_unref (out);
    gst_buffer_unref (in);
    run_finish (run);
    run_free (run);
  }
}

GST_END_TEST;

GST_START_TEST (test_draw_marks_box_edges)
{
  Square sq = { 60, 40, 40 };
  guint f;

  for (f = 0; f < G_N_ELEMENTS (all_formats); f++) {
    GstVideoFormat format = all_formats[f];
    Run *run = run_new (red_model, format, 160, 120, "draw=true");
    GstBuffer *in = make_frame (format, 160, 120, sq), *out;
    GstVideoFrame fin, fout;
    GstVideoRegionOfInterestMeta *roi;
    Rois rois;
    gint x, y, changed_edges = 0, changed_far = 0, n_edge = 0, bottom = 0;
    guint i;

    run_push (run, gst_buffer_ref (in));
    out = run_pull (run);
    roi = check_red_square (out, 160, 120, sq);
    get_rois (out, &rois);
    for (i = 0; i < rois.n; i++)
      bottom = MAX (bottom, (gint) (rois.metas[i]->y + rois.metas[i]->h));

    fail_unless (gst_video_frame_map (&fin, &run->info, in, GST_MAP_READ));
    fail_unless (gst_video_frame_map (&fout, &run->info, out, GST_MAP_READ));
    /* Every pixel of the outline's outer ring (left, right and bottom
     * edges; the top may be under the label) differs from the input. */
    for (y = roi->y; y < (gint) (roi->y + roi->h); y++) {
      n_edge += 2;
      changed_edges += pixel_at (&fin, roi->x, y) != pixel_at (&fout, roi->x,
          y);
      changed_edges += pixel_at (&fin, roi->x + roi->w - 1, y) !=
          pixel_at (&fout, roi->x + roi->w - 1, y);
    }
    for (x = roi->x; x < (gint) (roi->x + roi->w); x++) {
      n_edge++;
      changed_edges += pixel_at (&fin, x, roi->y + roi->h - 1) !=
          pixel_at (&fout, x, roi->y + roi->h - 1);
    }
    /* Away from boxes and labels (bottom rows), nothing changes. */
    for (y = bottom + 2; y < 120; y++)
      for (x = 0; x < 160; x++)
        changed_far += pixel_at (&fin, x, y) != pixel_at (&fout, x, y);
    fail_unless_equals_int (changed_edges, n_edge);
    fail_unless_equals_int (changed_far, 0);
    fail_if (buffers_equal (in, out));

    gst_video_frame_unmap (&fout);
    gst_video_frame_unmap (&fin);
    gst_buffer_unref (out);
    gst_buffer_unref (in);
    run_finish (run);
    run_free (run);
  }
}

GST_END_TEST;

GST_START_TEST (test_draw_at_1080p)
{
  Square sq = { 900, 500, 40 };
  GstBuffer *in = make_frame (GST_VIDEO_FORMAT_NV12, 1920, 1080, sq);
  GstBuffer *out = detect_one ("draw=true", GST_VIDEO_FORMAT_NV12, 1920,
      1080, sq);

  check_red_square (out, 1920, 1080, sq);
  fail_if (buffers_equal (in, out));
  gst_buffer_unref (in);
  gst_buffer_unref (out);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Messages and the results file                                            */
/* ------------------------------------------------------------------------ */

/* Runs 160x120 frames with the squares through a pipeline with `props`
 * and a results file; the output buffers go to outs, the finished run (its
 * bus messages) to *run_out.  Returns the file's lines, checked to be one
 * per frame, frames without objects included; the file is removed. */
static gchar **
run_with_results (const gchar * model, const gchar * props,
    GstVideoFormat format, const Square * squares, guint n, GstBuffer ** outs,
    Run ** run_out)
{
  gchar *dir = g_dir_make_tmp ("gnet-plugin-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "out.jsonl", NULL);
  gchar *all = g_strdup_printf ("%s results-file=\"%s\"", props, path);
  Run *run = run_new (model, format, 160, 120, all);
  gchar *contents;
  gchar **lines;
  guint i;

  for (i = 0; i < n; i++)
    run_push (run, make_frame (format, 160, 120, squares[i]));
  for (i = 0; i < n; i++)
    outs[i] = run_pull (run);
  run_finish (run);

  fail_unless (g_file_get_contents (path, &contents, NULL, NULL));
  fail_unless (g_str_has_suffix (contents, "\n"));
  lines = g_strsplit (contents, "\n", -1);
  fail_unless_equals_int (g_strv_length (lines), n + 1);

  g_free (contents);
  g_unlink (path);
  g_rmdir (dir);
  g_free (all);
  g_free (path);
  g_free (dir);
  *run_out = run;
  return lines;
}

GST_START_TEST (test_messages_and_json_match_metadata)
{
  Square squares[] = { {60, 40, 40}, {0, 0, 0}, {10, 70, 36}, {0, 0, 0}
  };
  GstBuffer *outs[G_N_ELEMENTS (squares)];
  Run *run;
  gchar **lines = run_with_results (red_model, "message=true",
      GST_VIDEO_FORMAT_I420,
      squares, G_N_ELEMENTS (squares), outs, &run);
  guint i, j;

  for (i = 0; i < G_N_ELEMENTS (squares); i++) {
    JsonParser *parser = json_parser_new ();
    JsonObject *o, *res;
    JsonArray *objs;
    GstMessage *msg;
    const GstStructure *s;
    const GValue *dets;
    GstClockTime ts;
    Rois rois;

    get_rois (outs[i], &rois);
    if (squares[i].size)
      check_red_square (outs[i], 160, 120, squares[i]);
    else
      fail_unless_equals_int (rois.n, 0);

    fail_unless (json_parser_load_from_data (parser, lines[i], -1, NULL));
    o = json_node_get_object (json_parser_get_root (parser));
    fail_unless_equals_uint64 (json_object_get_int_member (o, "timestamp"),
        GST_BUFFER_PTS (outs[i]));
    res = json_object_get_object_member (o, "resolution");
    fail_unless_equals_int (json_object_get_int_member (res, "width"), 160);
    fail_unless_equals_int (json_object_get_int_member (res, "height"), 120);
    objs = json_object_get_array_member (o, "objects");
    fail_unless_equals_int (json_array_get_length (objs), rois.n);

    /* The element message of this frame. */
    msg = g_queue_pop_head (&run->messages);
    fail_unless (msg != NULL);
    s = gst_message_get_structure (msg);
    fail_unless (gst_structure_has_name (s, "googlenetdetect"));
    fail_unless (gst_structure_get_clock_time (s, "timestamp", &ts));
    fail_unless_equals_uint64 (ts, GST_BUFFER_PTS (outs[i]));
    fail_unless (gst_structure_get_clock_time (s, "running-time", &ts));
    fail_unless_equals_uint64 (ts, GST_BUFFER_PTS (outs[i]));
    fail_unless (gst_structure_get_clock_time (s, "stream-time", &ts));
    fail_unless_equals_uint64 (ts, GST_BUFFER_PTS (outs[i]));
    fail_unless (gst_structure_get_clock_time (s, "duration", &ts));
    fail_unless_equals_uint64 (ts, FRAME_DURATION);
    dets = gst_structure_get_value (s, "detections");
    fail_unless (dets != NULL);
    fail_unless_equals_int (gst_value_array_get_size (dets), rois.n);

    for (j = 0; j < rois.n; j++) {
      GstVideoRegionOfInterestMeta *roi = rois.metas[j];
      GstStructure *p = gst_video_region_of_interest_meta_get_param (roi,
          "detection");
      JsonObject *obj = json_array_get_object_element (objs, j);
      JsonObject *det = json_object_get_object_member (obj, "detection");
      JsonObject *bb = json_object_get_object_member (det, "bounding_box");
      const GstStructure *m = gst_value_get_structure
          (gst_value_array_get_value (dets, j));
      gdouble v, conf;
      gint id;

      fail_unless_equals_int (json_object_get_int_member (obj, "x"), roi->x);
      fail_unless_equals_int (json_object_get_int_member (obj, "y"), roi->y);
      fail_unless_equals_int (json_object_get_int_member (obj, "w"), roi->w);
      fail_unless_equals_int (json_object_get_int_member (obj, "h"), roi->h);
      fail_unless_equals_string (json_object_get_string_member (obj,
              "roi_type"), g_quark_to_string (roi->roi_type));
      fail_unless_equals_string (json_object_get_string_member (det, "label"),
          "red");
      fail_unless_equals_int (json_object_get_int_member (det, "label_id"), 1);
      gst_structure_get_double (p, "confidence", &conf);
      fail_unless (fabs (json_object_get_double_member (det, "confidence")
              - conf) < 1e-6);
      gst_structure_get_double (p, "x_min", &v);
      fail_unless (fabs (json_object_get_double_member (bb, "x_min") - v)
          < 1e-6);
      gst_structure_get_double (p, "y_max", &v);
      fail_unless (fabs (json_object_get_double_member (bb, "y_max") - v)
          < 1e-6);

      fail_unless_equals_string (gst_structure_get_string (m, "label"), "red");
      fail_unless (gst_structure_get_int (m, "label_id", &id));
      fail_unless_equals_int (id, 1);
      fail_unless (gst_structure_get_double (m, "confidence", &v));
      fail_unless (fabs (v - conf) < 1e-9);
      fail_unless (gst_structure_get_int (m, "x", &id));
      fail_unless_equals_int (id, roi->x);
      fail_unless (gst_structure_get_int (m, "h", &id));
      fail_unless_equals_int (id, roi->h);
    }
    gst_message_unref (msg);
    g_object_unref (parser);
    gst_buffer_unref (outs[i]);
  }
  fail_unless (g_queue_is_empty (&run->messages));

  g_strfreev (lines);
  run_free (run);
}

GST_END_TEST;

/* results-threshold: the file gets the weaker detections too, strongest
 * first; what is attached and posted still needs threshold. */
GST_START_TEST (test_results_threshold)
{
  Square squares[] = { {60, 40, 40}, {0, 0, 0}, {10, 70, 36} };
  GstBuffer *outs[G_N_ELEMENTS (squares)];
  Run *run;
  gchar **lines = run_with_results (red_model, "message=true threshold=0.9 "
      "results-threshold=0.01 iou-threshold=0.9", GST_VIDEO_FORMAT_RGB,
      squares, G_N_ELEMENTS (squares), outs, &run);
  guint i, j, n_weak = 0;

  for (i = 0; i < G_N_ELEMENTS (squares); i++) {
    JsonParser *parser = json_parser_new ();
    GstMessage *msg = g_queue_pop_head (&run->messages);
    JsonArray *objs;
    Rois rois;

    get_rois (outs[i], &rois);
    if (squares[i].size)
      check_red_square (outs[i], 160, 120, squares[i]);
    fail_unless (msg != NULL);
    fail_unless_equals_int (gst_value_array_get_size
        (gst_structure_get_value (gst_message_get_structure (msg),
                "detections")), rois.n);
    fail_unless (json_parser_load_from_data (parser, lines[i], -1, NULL));
    objs = json_object_get_array_member (json_node_get_object
        (json_parser_get_root (parser)), "objects");
    fail_unless (json_array_get_length (objs) >= rois.n);
    for (j = 0; j < json_array_get_length (objs); j++) {
      JsonObject *det = json_object_get_object_member
          (json_array_get_object_element (objs, j), "detection");
      gdouble conf = json_object_get_double_member (det, "confidence");
      gdouble roi_conf;

      fail_unless (conf >= 0.01);
      if (j >= rois.n) {
        fail_unless (conf < 0.9, "a detection at threshold is not a ROI");
        n_weak++;
        continue;
      }
      /* the first lines are the ROIs, in order */
      fail_unless (gst_structure_get_double
          (gst_video_region_of_interest_meta_get_param (rois.metas[j],
                  "detection"), "confidence", &roi_conf));
      fail_unless (fabs (conf - roi_conf) < 1e-6);
      fail_unless (conf >= 0.9);
    }
    gst_message_unref (msg);
    g_object_unref (parser);
    gst_buffer_unref (outs[i]);
  }
  /* meaningful only if some detections were weaker than threshold */
  GST_INFO ("%u detections under threshold in the file", n_weak);
  fail_unless (n_weak > 0);

  g_strfreev (lines);
  run_free (run);
}

GST_END_TEST;

/* An alternative in a ROI's or a message's "detection" structure matches
 * the JSON file's, in order. */
static void
check_alternatives (const GstStructure * s, JsonObject * det)
{
  JsonArray *alts = json_object_has_member (det, "alternatives") ?
      json_object_get_array_member (det, "alternatives") : NULL;
  const GValue *list = gst_structure_get_value (s, "alternatives");
  guint n = alts ? json_array_get_length (alts) : 0;

  fail_unless_equals_int (list ? gst_value_array_get_size (list) : 0, n);
  for (guint k = 0; k < n; k++) {
    JsonObject *a = json_array_get_object_element (alts, k);
    const GstStructure *m = gst_value_get_structure
        (gst_value_array_get_value (list, k));
    gdouble conf;
    gint id;

    fail_unless (gst_structure_has_name (m, "alternative"));
    fail_unless_equals_string (gst_structure_get_string (m, "label"),
        json_object_get_string_member (a, "label"));
    fail_unless (gst_structure_get_int (m, "label_id", &id));
    fail_unless_equals_int (id, json_object_get_int_member (a, "label_id"));
    fail_unless (gst_structure_get_double (m, "confidence", &conf));
    fail_unless (fabs (conf - json_object_get_double_member (a,
                "confidence")) < 1e-6);
  }
}

/* Classes read on one object: one ROI, its other classes listed as
 * alternatives (weaker, and not its own class) in the metadata, the
 * message and the file alike; objectness is the sum of the classes'
 * confidences.  At threshold 0 every window reads both of the model's
 * classes, in one box, so every object has the other class as its one
 * alternative. */
GST_START_TEST (test_alternatives)
{
  Square squares[] = { {70, 50, 20}, {40, 30, 30}, {20, 60, 24} };
  GstBuffer *outs[G_N_ELEMENTS (squares)];
  gchar *trained = source_path ("tests", "fixtures", "detector",
      "detector.onnx", NULL);
  Run *run;
  gchar **lines = run_with_results (trained, "message=true draw=false "
      "iou-threshold=0.9 threshold=0 max-detections=20",
      GST_VIDEO_FORMAT_RGB, squares, G_N_ELEMENTS (squares), outs, &run);
  guint i, j, n_objects = 0;

  for (i = 0; i < G_N_ELEMENTS (squares); i++) {
    JsonParser *parser = json_parser_new ();
    GstMessage *msg = g_queue_pop_head (&run->messages);
    const GValue *dets;
    JsonArray *objs;
    Rois rois;

    get_rois (outs[i], &rois);
    fail_unless (msg != NULL);
    dets = gst_structure_get_value (gst_message_get_structure (msg),
        "detections");
    fail_unless (json_parser_load_from_data (parser, lines[i], -1, NULL));
    objs = json_object_get_array_member (json_node_get_object
        (json_parser_get_root (parser)), "objects");
    fail_unless_equals_int (json_array_get_length (objs), rois.n);
    fail_unless_equals_int (gst_value_array_get_size (dets), rois.n);
    n_objects += rois.n;
    for (j = 0; j < rois.n; j++) {
      JsonObject *det = json_object_get_object_member
          (json_array_get_object_element (objs, j), "detection");
      const gchar *label = json_object_get_string_member (det, "label");
      gdouble conf = json_object_get_double_member (det, "confidence");
      JsonArray *alts;
      JsonObject *alt;
      gdouble objectness;

      fail_unless (json_object_has_member (det, "alternatives"));
      alts = json_object_get_array_member (det, "alternatives");
      fail_unless_equals_int (json_array_get_length (alts), 1);
      alt = json_array_get_object_element (alts, 0);
      fail_if (g_str_equal (json_object_get_string_member (alt, "label"),
              label));
      fail_unless (json_object_get_double_member (alt, "confidence") <= conf);
      fail_unless (fabs (json_object_get_double_member (det, "objectness")
              - MIN (conf + json_object_get_double_member (alt,
                      "confidence"), 1.0)) < 1e-5);
      fail_unless (gst_structure_get_double
          (gst_video_region_of_interest_meta_get_param (rois.metas[j],
                  "detection"), "objectness", &objectness));
      fail_unless (fabs (objectness - json_object_get_double_member (det,
                  "objectness")) < 1e-6);
      check_alternatives (gst_video_region_of_interest_meta_get_param
          (rois.metas[j], "detection"), det);
      check_alternatives (gst_value_get_structure
          (gst_value_array_get_value (dets, j)), det);
    }
    gst_message_unref (msg);
    g_object_unref (parser);
    gst_buffer_unref (outs[i]);
  }
  /* meaningful only if there were objects */
  fail_unless (n_objects > 0);

  g_strfreev (lines);
  run_free (run);
  g_free (trained);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Settings while playing, inference interval                               */
/* ------------------------------------------------------------------------ */

GST_START_TEST (test_threshold_and_classes_while_playing)
{
  Run *run = run_new (red_model, GST_VIDEO_FORMAT_RGBx, 160, 120,
      "draw=false");
  Square sq = { 60, 40, 40 };
  GstBuffer *out;

  run_push (run, make_frame (GST_VIDEO_FORMAT_RGBx, 160, 120, sq));
  out = run_pull (run);
  fail_unless (n_rois (out) >= 1);
  gst_buffer_unref (out);

  /* Nothing reaches a probability above 1. */
  g_object_set (run->det, "threshold", 1.0, NULL);
  run_push (run, make_frame (GST_VIDEO_FORMAT_RGBx, 160, 120, sq));
  out = run_pull (run);
  fail_unless_equals_int (n_rois (out), 0);
  gst_buffer_unref (out);

  g_object_set (run->det, "threshold", 0.5, "classes", "blue", NULL);
  run_push (run, make_frame (GST_VIDEO_FORMAT_RGBx, 160, 120, sq));
  out = run_pull (run);
  fail_unless_equals_int (n_rois (out), 0);
  gst_buffer_unref (out);

  g_object_set (run->det, "classes", "red,blue", NULL);
  run_push (run, make_frame (GST_VIDEO_FORMAT_RGBx, 160, 120, sq));
  out = run_pull (run);
  fail_unless (n_rois (out) >= 1);
  gst_buffer_unref (out);

  run_finish (run);
  run_free (run);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Smoothing                                                                */
/* ------------------------------------------------------------------------ */

/* The most confident detection's confidence, -1 without any. */
static gdouble
best_confidence (GstBuffer * buf)
{
  gdouble best = -1.0;
  Rois rois;
  guint i;

  get_rois (buf, &rois);
  for (i = 0; i < rois.n; i++) {
    GstStructure *s = gst_video_region_of_interest_meta_get_param
        (rois.metas[i], "detection");
    gdouble conf;

    fail_unless (gst_structure_get_double (s, "confidence", &conf));
    best = MAX (best, conf);
  }
  return best;
}

/* GstHarness on the element alone: optionally frame `first`, optionally a
 * flush, then frame `second`; returns the best confidence on the second
 * frame. */
static gdouble
confidence_after (const gchar * smoothing, const Square * before,
    gboolean flush, Square after)
{
  gchar *desc = g_strdup_printf ("googlenetdetect model=\"%s\" draw=false "
      "threshold=0.3 smoothing=%s", red_model, smoothing);
  GstHarness *h = gst_harness_new_parse (desc);
  GstBuffer *out;
  gdouble conf;

  /* not live, so the element detects on every frame in order */
  gst_harness_set_live (h, FALSE);
  gst_harness_set_src_caps_str (h, "video/x-raw,format=RGB,width=160,"
      "height=120,framerate=30/1");
  if (before) {
    fail_unless_equals_int (gst_harness_push (h,
            make_frame (GST_VIDEO_FORMAT_RGB, 160, 120, *before)), GST_FLOW_OK);
    out = gst_harness_pull (h);
    fail_unless (best_confidence (out) > 0.99);
    gst_buffer_unref (out);
  }
  if (flush) {
    GstSegment segment;

    fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
    fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
    gst_segment_init (&segment, GST_FORMAT_TIME);
    fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  }
  fail_unless_equals_int (gst_harness_push (h,
          make_frame (GST_VIDEO_FORMAT_RGB, 160, 120, after)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  conf = best_confidence (out);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (desc);
  return conf;
}

/* A square wholly inside a window (red 0.999) then a smaller one at the
 * same place, which no window covers much more than 70% of (red about
 * 0.75): smoothed, the second frame's confidence lies between the two;
 * without smoothing, or after a flush (a seek), it is the second frame's
 * own. */
GST_START_TEST (test_smoothing)
{
  Square big = { 60, 40, 40 }, small = { 62, 42, 28 };
  gdouble alone, smoothed, unsmoothed, flushed;

  alone = confidence_after ("0.5", NULL, FALSE, small);
  fail_unless (alone > 0.5 && alone < 0.95, "%f", alone);
  smoothed = confidence_after ("0.5", &big, FALSE, small);
  fail_unless (smoothed > alone + 0.02 && smoothed < 1.0, "%f after %f",
      smoothed, alone);
  unsmoothed = confidence_after ("0", &big, FALSE, small);
  fail_unless_equals_float (unsmoothed, alone);
  flushed = confidence_after ("0.5", &big, TRUE, small);
  fail_unless_equals_float (flushed, alone);
}

GST_END_TEST;

GST_START_TEST (test_inference_interval)
{
  Run *run = run_new (red_model, GST_VIDEO_FORMAT_BGR, 160, 120,
      "draw=false inference-interval=3");
  Square sq = { 60, 40, 40 }, none = { 0, 0, 0 };
  gboolean expect[] = { TRUE, TRUE, TRUE, FALSE, FALSE, FALSE, TRUE };
  Square frames[] = { sq, none, none, none, sq, sq, sq };
  guint i;

  /* Detection runs on frames 0, 3 and 6; the others carry what the last
   * run found. */
  for (i = 0; i < G_N_ELEMENTS (frames); i++) {
    GstBuffer *out;

    run_push (run, make_frame (GST_VIDEO_FORMAT_BGR, 160, 120, frames[i]));
    out = run_pull (run);
    fail_unless_equals_int (n_rois (out) > 0, expect[i]);
    gst_buffer_unref (out);
  }
  run_finish (run);
  run_free (run);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/* Starting fails, with an error message on the bus whose text contains
 * `text` (code -1: any code of the domain). */
static void
check_start_fails (const gchar * model, const gchar * props, GQuark domain,
    gint code, const gchar * text)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=1 ! "
      "googlenetdetect model=\"%s\" %s ! fakesink", model, props);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  GError *err = NULL;
  gchar *debug = NULL;

  fail_unless (pipeline != NULL);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "%s: no error message", desc);
  gst_message_parse_error (msg, &err, &debug);
  GST_INFO ("%s: %s (%s)", desc, err->message, debug);
  fail_unless (err->domain == domain && (code < 0 || err->code == code),
      "%s: %s", desc, err->message);
  fail_unless (strstr (err->message, text) != NULL, "%s: '%s' lacks '%s'",
      desc, err->message, text);

  g_clear_error (&err);
  g_free (debug);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_free (desc);
}

GST_START_TEST (test_bad_models)
{
  gchar *dir = g_dir_make_tmp ("gnet-plugin-XXXXXX", NULL);
  gchar *junk = g_build_filename (dir, "junk.onnx", NULL);
  gchar *unsuitable = source_path ("tests", "fixtures", "errors",
      "relu_ok.onnx", NULL);

  fail_unless (g_file_set_contents (junk, "\x0a\xff\xff\xff\xff\x0f garbage",
          -1, NULL));
  check_start_fails ("/nonexistent/model.onnx", "", GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_FOUND, "/nonexistent/model.onnx");
  check_start_fails (junk, "", GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
      "corrupt");
  /* A valid ONNX graph that is no classifier. */
  check_start_fails (unsuitable, "", GST_RESOURCE_ERROR, -1, "relu_ok.onnx");
  check_start_fails ("", "", GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      "No model");

  g_unlink (junk);
  g_rmdir (dir);
  g_free (unsuitable);
  g_free (junk);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_bad_properties)
{
  check_start_fails (red_model, "mean=\"1,2\"", GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, "mean");
  check_start_fails (red_model, "std=\"1,0,1\"", GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, "std");
  check_start_fails (red_model, "windows=\"32,abc\"", GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, "windows");
  check_start_fails (red_model, "classes=\"nosuchlabel\"",
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS, "red.onnx");
  check_start_fails (red_model, "labels-file=/nonexistent/labels.txt",
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      "labels file \"/nonexistent/labels.txt\"");
  check_start_fails (red_model, "results-file=/nonexistent/dir/out.jsonl",
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_WRITE, "/nonexistent/dir");
}

GST_END_TEST;

GST_START_TEST (test_property_defaults)
{
  GstElement *det = gst_element_factory_make ("googlenetdetect", NULL);
  gchar *model, *results;
  gdouble threshold, stride, iou, group_iou, results_threshold, smoothing;
  guint max_det, interval;
  guint64 max_age;
  gboolean draw, message, async;
  GParamSpec *pspec;

  fail_unless (det != NULL);
  g_object_get (det, "model", &model, "threshold", &threshold, "stride",
      &stride, "iou-threshold", &iou, "group-iou", &group_iou,
      "max-detections", &max_det, "draw",
      &draw, "message", &message, "async", &async, "max-age", &max_age,
      "inference-interval", &interval, "results-file", &results,
      "results-threshold", &results_threshold, "smoothing", &smoothing, NULL);
  fail_unless (model != NULL
      && g_str_has_suffix (model, "samples/models/default.onnx"));
  fail_unless_equals_float (threshold, 0.5);
  fail_unless_equals_float (stride, 0.25);
  fail_unless_equals_float (iou, 0.1);
  fail_unless_equals_float (group_iou, 0.8);
  fail_unless_equals_int (max_det, 100);
  fail_unless (draw && !message && !async);
  fail_unless_equals_uint64 (max_age, 500 * GST_MSECOND);
  fail_unless_equals_int (interval, 1);
  fail_unless (results == NULL);
  fail_unless_equals_float (results_threshold, -1.0);
  fail_unless_equals_float (smoothing, 0.8);

  /* Changeable while playing: exactly the documented ones. */
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (det), "threshold");
  fail_unless (pspec->flags & GST_PARAM_MUTABLE_PLAYING);
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (det),
      "results-threshold");
  fail_unless (pspec->flags & GST_PARAM_MUTABLE_PLAYING);
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (det), "classes");
  fail_unless (pspec->flags & GST_PARAM_MUTABLE_PLAYING);
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (det), "draw");
  fail_unless (pspec->flags & GST_PARAM_MUTABLE_PLAYING);
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (det), "smoothing");
  fail_unless (pspec->flags & GST_PARAM_MUTABLE_PLAYING);
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (det), "model");
  fail_if (pspec->flags & GST_PARAM_MUTABLE_PLAYING);

  g_free (model);
  g_free (results);
  gst_object_unref (det);
}

GST_END_TEST;

/* New caps mid-stream (size and format): overlay and, in async mode, the
 * worker's frame copies follow; no stale boxes from the old size. */
static void
check_caps_change (const gchar * props)
{
  Run *run = run_new (red_model, GST_VIDEO_FORMAT_RGB, 160, 120, props);
  Square sq = { 60, 40, 40 }, sq2 = { 30, 10, 40 }, none = { 0, 0, 0 };
  GstBuffer *out;
  GstCaps *caps;
  guint i;

  run_push (run, make_frame (GST_VIDEO_FORMAT_RGB, 160, 120, sq));
  out = run_pull (run);
  gst_buffer_unref (out);

  gst_video_info_set_format (&run->info, GST_VIDEO_FORMAT_NV12, 97, 61);
  run->info.fps_n = 30;
  caps = gst_video_info_to_caps (&run->info);
  g_object_set (run->src, "caps", caps, NULL);
  gst_caps_unref (caps);

  /* The first frame at the new size is grey: boxes from the old size must
   * not appear on it. */
  run_push (run, make_frame (GST_VIDEO_FORMAT_NV12, 97, 61, none));
  out = run_pull (run);
  fail_unless_equals_int (gst_buffer_get_size (out), run->info.size);
  fail_unless_equals_int (n_rois (out), 0);
  gst_buffer_unref (out);
  /* Then the square is found where it is in the new frames (async: once
   * the worker has caught up). */
  for (i = 0; i < 900000; i++) {
    run_push (run, make_frame (GST_VIDEO_FORMAT_NV12, 97, 61, sq2));
    out = run_pull (run);
    if (n_rois (out) > 0)
      break;
    gst_buffer_unref (out);
  }
  fail_unless (i < 900000);
  check_red_square (out, 97, 61, sq2);
  gst_buffer_unref (out);

  run_finish (run);
  run_free (run);
}

GST_START_TEST (test_caps_change)
{
  check_caps_change ("draw=true");
  check_caps_change ("draw=true async=true max-age=18446744073709551615");
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Asynchronous / live                                                      */
/* ------------------------------------------------------------------------ */

/* Worker mode: frames pass in order with timestamps intact, detections
 * arrive from the worker, and are dropped once older than max-age. */
/* Warning messages on the bus so far (taken off it), each checked to be
 * the late-detections one. */
static guint
n_warnings (Run * run)
{
  GstBus *bus = gst_element_get_bus (run->pipeline);
  GstMessage *msg;
  guint n = 0;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING))) {
    GError *err = NULL;
    gchar *debug = NULL;

    gst_message_parse_warning (msg, &err, &debug);
    fail_unless (strstr (err->message, "too late") != NULL, "%s",
        err->message);
    fail_unless (strstr (debug, "max-age") != NULL, "%s", debug);
    g_clear_error (&err);
    g_free (debug);
    gst_message_unref (msg);
    n++;
  }
  gst_object_unref (bus);
  return n;
}

GST_START_TEST (test_async_detections_and_max_age)
{
  Run *run = run_new (red_model, GST_VIDEO_FORMAT_RGBA, 64, 64,
      "draw=false async=true inference-interval=1000000 max-age=1000000000");
  Square sq = { 16, 16, 32 }, none = { 0, 0, 0 };
  guint i, seen = 0;
  GstBuffer *out;

  /* Only frame 0 is detected (huge interval); push frames 1 us apart until
   * its detections come back, each frame leaving in order meanwhile.  The
   * bound keeps every frame within max-age of frame 0, however long the
   * worker takes. */
  run->step = GST_USECOND;
  for (i = 0; i < 900000 && seen == 0; i++) {
    run_push (run, make_frame (GST_VIDEO_FORMAT_RGBA, 64, 64,
            i == 0 ? sq : none));
    out = run_pull (run);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out), i * GST_USECOND);
    seen = n_rois (out);
    gst_buffer_unref (out);
  }
  fail_unless_equals_int (seen, 1);

  /* Detections made on frame 0 (t = 0) stay for 1 s of running time ... */
  run->n_pushed = 999000;
  run_push (run, make_frame (GST_VIDEO_FORMAT_RGBA, 64, 64, none));
  out = run_pull (run);
  fail_unless (n_rois (out) >= 1);
  gst_buffer_unref (out);
  /* ... and not after. */
  run->n_pushed = 1001000;
  run_push (run, make_frame (GST_VIDEO_FORMAT_RGBA, 64, 64, none));
  out = run_pull (run);
  fail_unless_equals_int (n_rois (out), 0);
  gst_buffer_unref (out);
  /* results came back in time: no warning */
  fail_unless_equals_int (n_warnings (run), 0);

  run_finish (run);
  run_free (run);
}

GST_END_TEST;

/* Detections that come back older than max-age are never shown: the
 * element says so, once. */
GST_START_TEST (test_late_detections_warn)
{
  Run *run = run_new (slow_model, GST_VIDEO_FORMAT_RGBA, 64, 64,
      "draw=false async=true max-age=0");
  Square sq = { 16, 16, 32 };
  guint i, warnings = 0;
  GstBuffer *out;

  /* The slow model takes longer than pushing a frame (1 us of running
   * time apart), so every result is older than 0 when it is collected. */
  run->step = GST_USECOND;
  for (i = 0; i < 900000 && warnings == 0; i++) {
    run_push (run, make_frame (GST_VIDEO_FORMAT_RGBA, 64, 64, sq));
    out = run_pull (run);
    fail_unless_equals_int (n_rois (out), 0);
    gst_buffer_unref (out);
    warnings = n_warnings (run);
  }
  fail_unless_equals_int (warnings, 1);
  for (i = 0; i < 2000; i++) {
    run_push (run, make_frame (GST_VIDEO_FORMAT_RGBA, 64, 64, sq));
    out = run_pull (run);
    fail_unless_equals_int (n_rois (out), 0);
    gst_buffer_unref (out);
  }
  fail_unless_equals_int (n_warnings (run), 0);

  run_finish (run);
  run_free (run);
}

GST_END_TEST;

/* A live source at 30 fps and a model far slower than 33 ms per frame
 * (about 0.5 s at 160x120 here): the sink, synchronised to the clock, must
 * render every frame and drop none for being 1 s late.  Detecting in the
 * streaming thread would make frame k about 0.47 k seconds late, so all but
 * the first three would be dropped.  (At 300 ms this failed once on a
 * machine loaded with two other CPU-bound jobs.)  One inference thread
 * leaves the other core to the streaming thread. */
GST_START_TEST (test_live_slow_model_keeps_time)
{
  gchar *desc = g_strdup_printf ("videotestsrc is-live=true num-buffers=45 ! "
      "video/x-raw,format=I420,width=160,height=120,framerate=30/1 ! "
      "googlenetdetect model=\"%s\" threads=1 ! fakesink name=sink sync=true "
      "qos=true max-lateness=1000000000", slow_model);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  GstStructure *stats;
  guint64 rendered = 0, dropped = 0;

  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);

  g_object_get (sink, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, "rendered", &rendered));
  fail_unless (gst_structure_get_uint64 (stats, "dropped", &dropped));
  GST_INFO ("rendered %" G_GUINT64_FORMAT " dropped %" G_GUINT64_FORMAT,
      rendered, dropped);
  fail_unless_equals_uint64 (dropped, 0);
  fail_unless_equals_uint64 (rendered, 45);

  gst_structure_free (stats);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (desc);
}

GST_END_TEST;

/* Offline, the element holds each frame for the detection and says so. */
GST_START_TEST (test_latency_query)
{
  Run *run = run_new (slow_model, GST_VIDEO_FORMAT_RGB, 96, 64, NULL);
  Square none = { 0, 0, 0 };
  GstQuery *query;
  GstPad *pad;
  GstClockTime min, max;
  gboolean live;
  GstBuffer *out;

  run_push (run, make_frame (GST_VIDEO_FORMAT_RGB, 96, 64, none));
  out = run_pull (run);
  gst_buffer_unref (out);

  pad = gst_element_get_static_pad (run->det, "src");
  query = gst_query_new_latency ();
  fail_unless (gst_pad_query (pad, query));
  gst_query_parse_latency (query, &live, &min, &max);
  fail_if (live);
  fail_unless (min > 0, "a frame that took time to detect added no latency");
  gst_query_unref (query);
  gst_object_unref (pad);

  run_finish (run);
  run_free (run);
}

GST_END_TEST;

static Suite *
googlenetdetect_suite (void)
{
  Suite *s = suite_create ("googlenetdetect");
  TCase *tc = tcase_create ("general");

  red_model = source_path ("tests", "fixtures", "plugin", "red.onnx", NULL);
  slow_model = source_path ("tests", "fixtures", "plugin", "slow.onnx", NULL);

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 600);
  tcase_add_test (tc, test_property_defaults);
  tcase_add_test (tc, test_formats_and_sizes);
  tcase_add_test (tc, test_detects_in_every_format);
  tcase_add_test (tc, test_dense_and_crops_agree);
  tcase_add_test (tc, test_metadata_matches_core_detector);
  tcase_add_test (tc, test_draw_false_changes_nothing);
  tcase_add_test (tc, test_draw_marks_box_edges);
  tcase_add_test (tc, test_draw_at_1080p);
  tcase_add_test (tc, test_messages_and_json_match_metadata);
  tcase_add_test (tc, test_results_threshold);
  tcase_add_test (tc, test_alternatives);
  tcase_add_test (tc, test_threshold_and_classes_while_playing);
  tcase_add_test (tc, test_inference_interval);
  tcase_add_test (tc, test_smoothing);
  tcase_add_test (tc, test_bad_models);
  tcase_add_test (tc, test_bad_properties);
  tcase_add_test (tc, test_async_detections_and_max_age);
  tcase_add_test (tc, test_late_detections_warn);
  tcase_add_test (tc, test_caps_change);
  tcase_add_test (tc, test_live_slow_model_keeps_time);
  tcase_add_test (tc, test_latency_query);
  return s;
}

GST_CHECK_MAIN (googlenetdetect);
