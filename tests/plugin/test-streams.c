/* test-streams.c - googlenetdetect under renegotiation, state changes and
 * several streams in one process.
 *
 * References are fresh elements run alone on the same frames, and
 * check_red_square() (red.onnx's detections worked out by hand): an element
 * that has renegotiated, restarted, changed model or run next to three
 * others must give exactly what a fresh one gives.
 *
 * Which elements loaded their model and which shared one already loaded is
 * read from the element's INFO log ("loaded model ..." / "sharing the
 * loaded model ..."), the one place the element says it.
 */
#include <gst/check/gstcheck.h>
#include <gst/app/app.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

static gchar *red_model;
static gchar *square_model;     /* detector.onnx: "square", "disc" */
static gchar *default_model;

#define MAX_AGE_FOREVER "max-age=18446744073709551615"

/* ------------------------------------------------------------------------ */
/* Model loads, from the element's log                                      */
/* ------------------------------------------------------------------------ */

static GMutex loads_lock;
static guint n_loaded, n_shared;

static void
count_loads (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer data)
{
  const gchar *text;

  if (level != GST_LEVEL_INFO
      || strcmp (gst_debug_category_get_name (category), "googlenetdetect"))
    return;
  text = gst_debug_message_get (message);
  g_mutex_lock (&loads_lock);
  if (g_str_has_prefix (text, "loaded model "))
    n_loaded++;
  else if (g_str_has_prefix (text, "sharing the loaded model "))
    n_shared++;
  g_mutex_unlock (&loads_lock);
}

static void
reset_loads (void)
{
  g_mutex_lock (&loads_lock);
  n_loaded = n_shared = 0;
  g_mutex_unlock (&loads_lock);
}

static void
check_loads (guint loaded, guint shared)
{
  g_mutex_lock (&loads_lock);
  fail_unless_equals_int (n_loaded, loaded);
  fail_unless_equals_int (n_shared, shared);
  g_mutex_unlock (&loads_lock);
}

/* ------------------------------------------------------------------------ */
/* Comparing outputs                                                        */
/* ------------------------------------------------------------------------ */

/* Same detections (rectangle, label, confidence) and, when `pixels`, the
 * same bytes (what was drawn). */
static void
check_same_output (GstBuffer * got, GstBuffer * want, gboolean pixels,
    const gchar * what)
{
  Rois a, b;
  guint i;

  get_rois (got, &a);
  get_rois (want, &b);
  fail_unless (a.n == b.n, "%s: %u detections, fresh %u", what, a.n, b.n);
  for (i = 0; i < a.n; i++) {
    GstVideoRegionOfInterestMeta *ra = a.metas[i], *rb = b.metas[i];
    gdouble ca, cb;

    fail_unless (ra->x == rb->x && ra->y == rb->y && ra->w == rb->w
        && ra->h == rb->h, "%s: box %u at %u,%u %ux%u, fresh %u,%u %ux%u",
        what, i, ra->x, ra->y, ra->w, ra->h, rb->x, rb->y, rb->w, rb->h);
    fail_unless_equals_string (g_quark_to_string (ra->roi_type),
        g_quark_to_string (rb->roi_type));
    fail_unless (gst_structure_get_double
        (gst_video_region_of_interest_meta_get_param (ra, "detection"),
            "confidence", &ca));
    fail_unless (gst_structure_get_double
        (gst_video_region_of_interest_meta_get_param (rb, "detection"),
            "confidence", &cb));
    fail_unless (fabs (ca - cb) < 1e-6, "%s: confidence %g, fresh %g", what,
        ca, cb);
  }
  if (pixels)
    fail_unless (buffers_equal (got, want), "%s: pixels differ", what);
}

/* ------------------------------------------------------------------------ */
/* Renegotiation                                                            */
/* ------------------------------------------------------------------------ */

#define FRAMES_PER_SEGMENT 3

typedef struct
{
  GstVideoFormat format;
  gint width, height;
  Square squares[FRAMES_PER_SEGMENT];
} Segment;

/* Size and format change at every segment, then come back. */
#define NO_SQUARE {0, 0, 0}
static const Segment segments[] = {
  {GST_VIDEO_FORMAT_I420, 320, 240, {{40, 30, 38}, NO_SQUARE, {200, 100, 40}}},
  {GST_VIDEO_FORMAT_RGB, 640, 480, {{300, 200, 34}, {500, 380, 40}, NO_SQUARE}},
  {GST_VIDEO_FORMAT_NV12, 97, 61, {NO_SQUARE, {57, 21, 40}, {10, 10, 36}}},
  {GST_VIDEO_FORMAT_I420, 320, 240, {{100, 120, 36}, NO_SQUARE, {26, 18, 40}}},
  {GST_VIDEO_FORMAT_BGRx, 160, 120, {{60, 40, 40}, NO_SQUARE, {8, 70, 40}}},
};

/* What a fresh element makes of one segment's frames. */
static void
fresh_outputs (const gchar * props, const Segment * seg, GstBuffer ** out)
{
  Run *run = run_new (red_model, seg->format, seg->width, seg->height, props);
  guint i;

  for (i = 0; i < FRAMES_PER_SEGMENT; i++)
    run_push (run, make_frame (seg->format, seg->width, seg->height,
            seg->squares[i]));
  for (i = 0; i < FRAMES_PER_SEGMENT; i++)
    out[i] = run_pull (run);
  run_finish (run);
  run_free (run);
}

/* Offline: every frame after a caps change is exactly what a fresh element
 * gives, pixels included (the overlay follows the new format). */
static void
check_renegotiation (const gchar * props)
{
  Run *run = NULL;
  guint s, i;

  for (s = 0; s < G_N_ELEMENTS (segments); s++) {
    const Segment *seg = &segments[s];
    GstBuffer *want[FRAMES_PER_SEGMENT];

    GST_INFO ("%s: %s %dx%d", props, gst_video_format_to_string
        (seg->format), seg->width, seg->height);
    fresh_outputs (props, seg, want);
    if (run == NULL)
      run = run_new (red_model, seg->format, seg->width, seg->height, props);
    else
      run_set_caps (run, seg->format, seg->width, seg->height);
    for (i = 0; i < FRAMES_PER_SEGMENT; i++) {
      GstBuffer *got;
      gchar *what = g_strdup_printf ("%s, segment %u frame %u", props, s, i);

      run_push (run, make_frame (seg->format, seg->width, seg->height,
              seg->squares[i]));
      got = run_pull (run);
      fail_unless_equals_int (gst_buffer_get_size (got), run->info.size);
      if (seg->squares[i].size)
        check_red_square (got, seg->width, seg->height, seg->squares[i]);
      else
        fail_unless_equals_int (n_rois (got), 0);
      check_same_output (got, want[i], TRUE, what);
      gst_buffer_unref (got);
      gst_buffer_unref (want[i]);
      g_free (what);
    }
  }
  run_finish (run);
  run_free (run);
}

GST_START_TEST (test_renegotiation_matches_fresh_element)
{
  check_renegotiation ("draw=true");
  check_renegotiation ("draw=true mode=crops");
  check_renegotiation ("draw=false refine=cam");
}

GST_END_TEST;

/* Asynchronous: after each caps change, the first frame (grey) carries no
 * box of the old size, and the worker's detections on the new frames, once
 * they come, are what a fresh element finds on them. */
GST_START_TEST (test_renegotiation_async)
{
  const gchar *props = "draw=true async=true " MAX_AGE_FOREVER;
  Run *run = NULL;
  guint s, i;

  for (s = 0; s < G_N_ELEMENTS (segments); s++) {
    const Segment *seg = &segments[s];
    Square none = { 0, 0, 0 }, sq = seg->squares[0].size ?
        seg->squares[0] : seg->squares[1];
    Segment one = { seg->format, seg->width, seg->height, {sq, sq, sq} };
    GstBuffer *want[FRAMES_PER_SEGMENT], *got;

    fresh_outputs ("draw=true", &one, want);
    if (run == NULL)
      run = run_new (red_model, seg->format, seg->width, seg->height, props);
    else
      run_set_caps (run, seg->format, seg->width, seg->height);

    run_push (run, make_frame (seg->format, seg->width, seg->height, none));
    got = run_pull (run);
    fail_unless_equals_int (gst_buffer_get_size (got), run->info.size);
    fail_unless_equals_int (n_rois (got), 0);
    gst_buffer_unref (got);

    /* The same frame over and over until the worker's result shows. */
    for (i = 0; i < 100000; i++) {
      run_push (run, make_frame (seg->format, seg->width, seg->height, sq));
      got = run_pull (run);
      if (n_rois (got) > 0)
        break;
      gst_buffer_unref (got);
    }
    fail_unless (i < 100000, "segment %u: no detection came back", s);
    check_red_square (got, seg->width, seg->height, sq);
    check_same_output (got, want[0], TRUE, "async");
    gst_buffer_unref (got);
    for (i = 0; i < FRAMES_PER_SEGMENT; i++)
      gst_buffer_unref (want[i]);
  }
  run_finish (run);
  run_free (run);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* State changes                                                            */
/* ------------------------------------------------------------------------ */

typedef struct
{
  GMutex lock;
  GCond cond;
  guint n;
} Counter;

static void
counter_init (Counter * c)
{
  g_mutex_init (&c->lock);
  g_cond_init (&c->cond);
  c->n = 0;
}

static void
counter_clear (Counter * c)
{
  g_mutex_clear (&c->lock);
  g_cond_clear (&c->cond);
}

static void
on_handoff (GstElement * sink, GstBuffer * buf, GstPad * pad, Counter * c)
{
  g_mutex_lock (&c->lock);
  c->n++;
  g_cond_signal (&c->cond);
  g_mutex_unlock (&c->lock);
}

/* Waits (up to a minute: a machine can be busy) for `n` more frames. */
static gboolean
wait_frames (Counter * c, guint n)
{
  gint64 end = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;
  gboolean ok = TRUE;
  guint target;

  g_mutex_lock (&c->lock);
  target = c->n + n;
  while (c->n < target && ok)
    ok = g_cond_wait_until (&c->cond, &c->lock, end);
  ok = c->n >= target;
  g_mutex_unlock (&c->lock);
  return ok;
}

static void
check_no_error (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);

  if (msg) {
    GError *err = NULL;
    gchar *debug = NULL;

    gst_message_parse_error (msg, &err, &debug);
    fail ("error: %s (%s)", err->message, debug);
  }
  gst_bus_set_flushing (bus, TRUE);
  gst_bus_set_flushing (bus, FALSE);
  gst_object_unref (bus);
}

/* PLAYING -> NULL -> PLAYING a hundred times, frames flowing every time,
 * detecting in order and in a worker, from a live source and not; the
 * model is loaded at every start and dropped at every stop. */
GST_START_TEST (test_playing_null_playing_100_times)
{
  gchar *desc = g_strdup_printf ("videotestsrc name=src pattern=ball ! "
      "video/x-raw,format=I420,width=200,height=120,framerate=30/1 ! "
      "googlenetdetect name=det model=\"%s\" ! fakesink name=sink sync=false "
      "signal-handoffs=true", default_model);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GstElement *det = gst_bin_get_by_name (GST_BIN (pipeline), "det");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  Counter frames;
  guint i;

  counter_init (&frames);
  g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), &frames);
  reset_loads ();
  for (i = 0; i < 100; i++) {
    g_object_set (det, "async", i % 2 == 1, NULL);
    g_object_set (src, "is-live", (i / 2) % 2 == 1, NULL);
    fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE);
    fail_unless (wait_frames (&frames, 3), "cycle %u: no frames", i);
    fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
    check_no_error (pipeline);
  }
  check_loads (100, 0);

  gst_object_unref (src);
  gst_object_unref (det);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  counter_clear (&frames);
  g_free (desc);
}

GST_END_TEST;

/* The model changes in READY; in PLAYING (or PAUSED) a change is refused
 * with a warning and the running model stays. */
GST_START_TEST (test_model_change_in_ready)
{
  Square big = { 60, 40, 40 }, small = { 70, 50, 20 };
  const gchar *props = "draw=false threshold=0.2";
  Run *run = run_new (red_model, GST_VIDEO_FORMAT_RGB, 160, 120,
      "draw=false");
  GstBuffer *got, *want;
  GstBus *bus = gst_element_get_bus (run->pipeline);
  GstMessage *msg;
  GError *err = NULL;
  gchar *model;

  run_push (run, make_frame (GST_VIDEO_FORMAT_RGB, 160, 120, big));
  got = run_pull (run);
  check_red_square (got, 160, 120, big);
  gst_buffer_unref (got);

  /* Refused while PLAYING: the property keeps the running model, a
   * warning says why, and frames are still detected with red.onnx. */
  g_object_set (run->det, "model", square_model, "mode", 1, NULL);
  g_object_get (run->det, "model", &model, NULL);
  fail_unless_equals_string (model, red_model);
  g_free (model);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning for a refused model change");
  gst_message_parse_warning (msg, &err, NULL);
  fail_unless (strstr (err->message, "\"model\"") != NULL, "%s", err->message);
  g_clear_error (&err);
  gst_message_unref (msg);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning for a refused mode change");
  gst_message_unref (msg);
  run_push (run, make_frame (GST_VIDEO_FORMAT_RGB, 160, 120, big));
  got = run_pull (run);
  check_red_square (got, 160, 120, big);
  gst_buffer_unref (got);

  /* Accepted in READY, used from the next start. */
  fail_unless_equals_int (gst_element_set_state (run->pipeline,
          GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
  g_object_set (run->det, "model", square_model, "threshold", 0.2, NULL);
  g_object_get (run->det, "model", &model, NULL);
  fail_unless_equals_string (model, square_model);
  g_free (model);
  fail_if (gst_element_set_state (run->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  run->n_pushed = 0;
  run_push (run, make_frame (GST_VIDEO_FORMAT_RGB, 160, 120, small));
  got = run_pull (run);
  {
    Run *fresh = run_new (square_model, GST_VIDEO_FORMAT_RGB, 160, 120,
        props);

    run_push (fresh, make_frame (GST_VIDEO_FORMAT_RGB, 160, 120, small));
    want = run_pull (fresh);
    run_finish (fresh);
    run_free (fresh);
  }
  fail_unless (n_rois (want) >= 1);
  check_same_output (got, want, TRUE, "after the model change");
  {
    Rois rois;

    get_rois (got, &rois);
    fail_unless_equals_string (g_quark_to_string (rois.metas[0]->roi_type),
        "square");
  }
  gst_buffer_unref (got);
  gst_buffer_unref (want);

  run_finish (run);
  check_no_error (run->pipeline);
  gst_object_unref (bus);
  run_free (run);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Shared models                                                            */
/* ------------------------------------------------------------------------ */

static void
copy_file (const gchar * from, const gchar * to)
{
  gchar *contents;
  gsize len;

  fail_unless (g_file_get_contents (from, &contents, &len, NULL));
  fail_unless (g_file_set_contents (to, contents, len, NULL));
  g_free (contents);
}

static void
check_detects (Run * run, const gchar * label)
{
  Square sq = { 60, 40, 40 };
  GstBuffer *out;
  Rois rois;

  run_push (run, make_frame (GST_VIDEO_FORMAT_RGB, 160, 120, sq));
  out = run_pull (run);
  get_rois (out, &rois);
  fail_unless (rois.n >= 1);
  fail_unless_equals_string (g_quark_to_string (rois.metas[0]->roi_type),
      label);
  gst_buffer_unref (out);
}

/* One copy per file while elements use it, found through any path to the
 * file; a file changed on disk is loaded again, the elements running the
 * old one keep it; the last element to stop drops it. */
GST_START_TEST (test_same_file_shares_one_model)
{
  gchar *dir = g_dir_make_tmp ("gnet-streams-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "model.onnx", NULL);
  gchar *link = g_build_filename (dir, "link.onnx", NULL);
  gchar *dotted = g_build_filename (dir, ".", "model.onnx", NULL);
  const gchar *props = "draw=false threshold=0.2";
  Run *a, *b, *c, *d, *e;
  GStatBuf before, after;
  FILE *f;
  gchar *contents;
  gsize len;

  copy_file (red_model, path);
  fail_unless (symlink ("model.onnx", link) == 0);
  reset_loads ();

  a = run_new (path, GST_VIDEO_FORMAT_RGB, 160, 120, props);
  check_loads (1, 0);
  b = run_new (link, GST_VIDEO_FORMAT_RGB, 160, 120, props);
  c = run_new (dotted, GST_VIDEO_FORMAT_RGB, 160, 120, props);
  check_loads (1, 2);
  check_detects (a, "red");
  check_detects (b, "red");
  check_detects (c, "red");

  /* Replaced (a new file under the name): loaded again, and it is the new
   * model that d runs, while a still runs the old one. */
  copy_file (square_model, path);
  d = run_new (path, GST_VIDEO_FORMAT_RGB, 160, 120, props);
  check_loads (2, 2);
  check_detects (d, "square");
  check_detects (a, "red");

  /* Rewritten in place with the very same bytes: the file changed (its
   * times did), so it is read again rather than trusted.  Rewritten until
   * the times differ, for file systems that keep whole seconds. */
  fail_unless (g_file_get_contents (path, &contents, &len, NULL));
  fail_unless (g_stat (path, &before) == 0);
  do {
    g_usleep (10 * 1000);
    f = fopen (path, "wb");
    fail_unless (f != NULL);
    fail_unless_equals_int (fwrite (contents, 1, len, f), len);
    fail_unless (fclose (f) == 0);
    fail_unless (g_stat (path, &after) == 0);
  } while (after.st_mtim.tv_sec == before.st_mtim.tv_sec
      && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec
      && after.st_ctim.tv_sec == before.st_ctim.tv_sec
      && after.st_ctim.tv_nsec == before.st_ctim.tv_nsec);
  fail_unless_equals_uint64 (after.st_ino, before.st_ino);
  g_free (contents);
  e = run_new (link, GST_VIDEO_FORMAT_RGB, 160, 120, props);
  check_loads (3, 2);
  check_detects (e, "square");

  run_finish (a);
  run_free (a);
  run_finish (b);
  run_free (b);
  run_finish (c);
  run_free (c);
  run_finish (d);
  run_free (d);
  run_finish (e);
  run_free (e);

  /* Nobody holds it any more: the next element loads it. */
  a = run_new (path, GST_VIDEO_FORMAT_RGB, 160, 120, props);
  check_loads (4, 2);
  check_detects (a, "square");
  run_finish (a);
  run_free (a);

  g_unlink (link);
  g_unlink (path);
  g_rmdir (dir);
  g_free (dotted);
  g_free (link);
  g_free (path);
  g_free (dir);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Several streams at once                                                  */
/* ------------------------------------------------------------------------ */

#define N_STREAMS 4
#define STREAM_FRAMES 8

typedef struct
{
  const gchar *props;
  GstVideoFormat format;
  gint width, height;
} StreamConf;

static const StreamConf streams[N_STREAMS] = {
  {"draw=true threads=1", GST_VIDEO_FORMAT_RGB, 160, 120},
  {"draw=true mode=crops threads=2", GST_VIDEO_FORMAT_I420, 200, 150},
  {"draw=false refine=cam", GST_VIDEO_FORMAT_NV12, 97, 61},
  {"draw=true async=true " MAX_AGE_FOREVER, GST_VIDEO_FORMAT_BGRx, 320,
      240},
};

static Square
stream_square (guint s, guint i, const StreamConf * conf)
{
  Square sq = { 0, 0, 0 };

  if ((i + s) % 3 == 2)
    return sq;
  sq.size = 36 + 2 * (gint) s;
  sq.x = (gint) ((i * 13 + s * 7) % (guint) (conf->width - sq.size + 1));
  sq.y = (gint) ((i * 5 + s * 11) % (guint) (conf->height - sq.size + 1));
  return sq;
}

/* Four streams, each with its own streaming thread (appsrc) and element,
 * all naming the same model file: it is loaded once, and every stream
 * gives what it gives alone.  Run under ThreadSanitizer too (see
 * RELIABILITY.md). */
GST_START_TEST (test_four_streams_share_and_agree)
{
  GstBuffer *want[N_STREAMS][STREAM_FRAMES], *got;
  Run *runs[N_STREAMS];
  guint s, i;

  /* Each alone first (the asynchronous one in order, so that every
   * output is the detections on its own frame). */
  for (s = 0; s < N_STREAMS; s++) {
    const StreamConf *conf = &streams[s];
    Run *run = run_new (red_model, conf->format, conf->width, conf->height,
        s == 3 ? "draw=true" : conf->props);

    for (i = 0; i < STREAM_FRAMES; i++) {
      Square sq = s == 3 ? stream_square (s, 0, conf) :
          stream_square (s, i, conf);

      run_push (run, make_frame (conf->format, conf->width, conf->height, sq));
      want[s][i] = run_pull (run);
    }
    run_finish (run);
    run_free (run);
  }

  /* Then together. */
  reset_loads ();
  for (s = 0; s < N_STREAMS; s++)
    runs[s] = run_new (red_model, streams[s].format, streams[s].width,
        streams[s].height, streams[s].props);
  check_loads (1, N_STREAMS - 1);
  for (i = 0; i < STREAM_FRAMES; i++)
    for (s = 0; s < N_STREAMS; s++) {
      const StreamConf *conf = &streams[s];
      Square sq = s == 3 ? stream_square (s, 0, conf) :
          stream_square (s, i, conf);

      run_push (runs[s], make_frame (conf->format, conf->width, conf->height,
              sq));
    }
  for (s = 0; s < 3; s++)
    for (i = 0; i < STREAM_FRAMES; i++) {
      Square sq = stream_square (s, i, &streams[s]);
      gchar *what = g_strdup_printf ("stream %u frame %u", s, i);

      got = run_pull (runs[s]);
      fail_unless_equals_uint64 (GST_BUFFER_PTS (got), i * FRAME_DURATION);
      if (sq.size)
        check_red_square (got, streams[s].width, streams[s].height, sq);
      check_same_output (got, want[s][i], TRUE, what);
      gst_buffer_unref (got);
      g_free (what);
    }
  /* The asynchronous one: every frame out, in order; its detections, when
   * they come, are the ones on that (unchanging) frame. */
  for (i = 0; i < STREAM_FRAMES; i++) {
    got = run_pull (runs[3]);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (got), i * FRAME_DURATION);
    if (n_rois (got))
      check_same_output (got, want[3][0], TRUE, "async stream");
    gst_buffer_unref (got);
  }
  for (s = 0; s < N_STREAMS; s++) {
    run_finish (runs[s]);
    run_free (runs[s]);
    for (i = 0; i < STREAM_FRAMES; i++)
      gst_buffer_unref (want[s][i]);
  }
}

GST_END_TEST;

/* Four live pipelines started and stopped from four threads at once, with
 * the same model: loads and releases race on the cache. */
static gpointer
start_stop (gpointer data)
{
  gchar *desc = g_strdup_printf ("videotestsrc is-live=true ! "
      "video/x-raw,width=96,height=96,framerate=30/1 ! googlenetdetect "
      "model=\"%s\" threads=1 ! fakesink name=sink signal-handoffs=true",
      default_model);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  Counter frames;
  guint i;

  counter_init (&frames);
  g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), &frames);
  for (i = 0; i < 10; i++) {
    fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE);
    fail_unless (wait_frames (&frames, 2));
    fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
    check_no_error (pipeline);
  }
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  counter_clear (&frames);
  g_free (desc);
  return NULL;
}

GST_START_TEST (test_streams_start_and_stop_together)
{
  GThread *threads[N_STREAMS];
  guint s;

  reset_loads ();
  for (s = 0; s < N_STREAMS; s++)
    threads[s] = g_thread_new ("start-stop", start_stop, NULL);
  for (s = 0; s < N_STREAMS; s++)
    g_thread_join (threads[s]);
  /* Every start either loaded or shared. */
  g_mutex_lock (&loads_lock);
  fail_unless_equals_int (n_loaded + n_shared, 10 * N_STREAMS);
  fail_unless (n_loaded >= 1);
  g_mutex_unlock (&loads_lock);
}

GST_END_TEST;

static Suite *
streams_suite (void)
{
  Suite *s = suite_create ("googlenetdetect-streams");
  TCase *tc = tcase_create ("general");

  red_model = source_path ("tests", "fixtures", "plugin", "red.onnx", NULL);
  square_model = source_path ("tests", "fixtures", "detector",
      "detector.onnx", NULL);
  default_model = source_path ("samples", "models", "default.onnx", NULL);

  /* Model loads are counted from the element's INFO log. */
  gst_debug_set_active (TRUE);
  gst_debug_set_threshold_for_name ("googlenetdetect", GST_LEVEL_INFO);
  gst_debug_add_log_function (count_loads, NULL, NULL);
  if (g_getenv ("GST_DEBUG") == NULL)
    gst_debug_remove_log_function (gst_debug_log_default);

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 600);
  tcase_add_test (tc, test_renegotiation_matches_fresh_element);
  tcase_add_test (tc, test_renegotiation_async);
  tcase_add_test (tc, test_playing_null_playing_100_times);
  tcase_add_test (tc, test_model_change_in_ready);
  tcase_add_test (tc, test_same_file_shares_one_model);
  tcase_add_test (tc, test_four_streams_share_and_agree);
  tcase_add_test (tc, test_streams_start_and_stop_together);
  return s;
}

GST_CHECK_MAIN (streams);
