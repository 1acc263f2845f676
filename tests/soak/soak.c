/* soak.c - googlenetdetect streams running for a while, watched.
 *
 * One process, one pipeline with N independent branches (each its own
 * streaming thread):
 *
 *   videotestsrc is-live=true ! video/x-raw,... ! googlenetdetect ! fakesink
 *
 * Every few seconds it samples the process's resident memory (VmRSS); pad
 * probes count the frames each source makes, each element takes in and lets
 * out, and check that the PTS leaving the element only go up.  At the end
 * (an EOS after --duration seconds) it prints the figures and a verdict:
 *
 *   PASS  no error, every frame the sources made reached the sinks (made ==
 *         in == out == rendered, none dropped), PTS strictly increasing,
 *         RSS growth after warm-up under --max-growth-kb.
 *
 * tests/soak/soak.sh sets the plugin path and runs it; see RELIABILITY.md.
 */
#include <gst/gst.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct
{
  guint index;
  GstElement *sink;
  /* counted in the streaming thread of the branch, read by the main loop */
  gint made, in, out, with_boxes, backwards;
  GstClockTime last_pts;
} Stream;

typedef struct
{
  GMainLoop *loop;
  GstElement *pipeline;
  Stream *streams;
  guint n_streams;
  gint64 start_us;
  gint64 warmup_us;
  gint64 baseline_kb;           /* RSS at the end of warm-up, -1 before */
  gint64 max_kb;                /* largest RSS after warm-up */
  gint64 min_kb;
  gint64 last_kb;
  GArray *samples;              /* gint64 pairs: us since start, kB */
  gboolean failed;
  gchar *error;
} Soak;

static gint64
rss_kb (void)
{
  gchar *status = NULL, *line;
  gint64 kb = -1;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "\nVmRSS:");
  if (line)
    kb = g_ascii_strtoll (line + strlen ("\nVmRSS:"), NULL, 10);
  g_free (status);
  return kb;
}

static GstPadProbeReturn
count_made (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Stream *s = data;

  g_atomic_int_inc (&s->made);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
count_in (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Stream *s = data;

  g_atomic_int_inc (&s->in);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
count_out (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Stream *s = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime pts = GST_BUFFER_PTS (buf);

  /* Only this thread touches last_pts. */
  if (!GST_CLOCK_TIME_IS_VALID (pts) || (GST_CLOCK_TIME_IS_VALID (s->last_pts)
          && pts <= s->last_pts))
    g_atomic_int_inc (&s->backwards);
  s->last_pts = pts;
  if (gst_buffer_get_meta (buf, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))
    g_atomic_int_inc (&s->with_boxes);
  g_atomic_int_inc (&s->out);
  return GST_PAD_PROBE_OK;
}

static void
probe (GstBin * bin, const gchar * name, const gchar * pad_name,
    GstPadProbeCallback func, Stream * s)
{
  GstElement *e = gst_bin_get_by_name (bin, name);
  GstPad *pad = gst_element_get_static_pad (e, pad_name);

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, func, s, NULL);
  gst_object_unref (pad);
  gst_object_unref (e);
}

static gint64
frames_out (Soak * soak)
{
  gint64 n = 0;
  guint i;

  for (i = 0; i < soak->n_streams; i++)
    n += g_atomic_int_get (&soak->streams[i].out);
  return n;
}

static gboolean
sample (gpointer data)
{
  Soak *soak = data;
  gint64 t = g_get_monotonic_time () - soak->start_us;
  gint64 kb = rss_kb ();
  gint64 pair[2] = { t, kb };

  g_array_append_vals (soak->samples, pair, 2);
  soak->last_kb = kb;
  if (t >= soak->warmup_us) {
    if (soak->baseline_kb < 0)
      soak->baseline_kb = soak->min_kb = soak->max_kb = kb;
    soak->max_kb = MAX (soak->max_kb, kb);
    soak->min_kb = MIN (soak->min_kb, kb);
  }
  g_print ("t=%5.0f s  rss=%7" G_GINT64_FORMAT " kB  frames out=%"
      G_GINT64_FORMAT "%s\n", t / 1e6, kb, frames_out (soak),
      soak->baseline_kb < 0 ? "  (warm-up)" : "");
  return G_SOURCE_CONTINUE;
}

static gboolean
finish (gpointer data)
{
  Soak *soak = data;

  g_print ("duration reached: sending EOS\n");
  gst_element_send_event (soak->pipeline, gst_event_new_eos ());
  return G_SOURCE_REMOVE;
}

static gboolean
on_message (GstBus * bus, GstMessage * msg, gpointer data)
{
  Soak *soak = data;
  GError *err = NULL;
  gchar *debug = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      g_main_loop_quit (soak->loop);
      break;
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &err, &debug);
      g_printerr ("ERROR from %s: %s (%s)\n", GST_OBJECT_NAME (msg->src),
          err->message, GST_STR_NULL (debug));
      if (soak->error == NULL)
        soak->error = g_strdup (err->message);
      soak->failed = TRUE;
      g_clear_error (&err);
      g_free (debug);
      g_main_loop_quit (soak->loop);
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &err, &debug);
      g_printerr ("WARNING from %s: %s (%s)\n", GST_OBJECT_NAME (msg->src),
          err->message, GST_STR_NULL (debug));
      g_clear_error (&err);
      g_free (debug);
      break;
    default:
      break;
  }
  return TRUE;
}

/* Least-squares slope of RSS after warm-up, in kB per minute. */
static gdouble
slope_kb_per_min (Soak * soak)
{
  gdouble sx = 0, sy = 0, sxx = 0, sxy = 0, n = 0;
  guint i;

  for (i = 0; i + 1 < soak->samples->len; i += 2) {
    gdouble x = g_array_index (soak->samples, gint64, i) / 60e6;
    gdouble y = g_array_index (soak->samples, gint64, i + 1);

    if (g_array_index (soak->samples, gint64, i) < soak->warmup_us)
      continue;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
    n++;
  }
  if (n < 2 || n * sxx - sx * sx == 0)
    return 0;
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

/* A private copy of the model per stream (--copies): same bytes, another
 * file, so nothing is shared.  Returns the directory to remove. */
static gchar *
copy_model (const gchar * model, guint n, gchar ** paths)
{
  gchar *dir = g_dir_make_tmp ("gnet-soak-XXXXXX", NULL);
  gchar *contents;
  gsize len;
  guint i;

  if (dir == NULL || !g_file_get_contents (model, &contents, &len, NULL))
    g_error ("cannot copy %s", model);
  for (i = 0; i < n; i++) {
    gchar *name = g_strdup_printf ("copy%u.onnx", i);

    paths[i] = g_build_filename (dir, name, NULL);
    if (!g_file_set_contents (paths[i], contents, len, NULL))
      g_error ("cannot write %s", paths[i]);
    g_free (name);
  }
  g_free (contents);
  return dir;
}

int
main (int argc, char **argv)
{
  gdouble duration = 600, warmup = 60, interval = 5;
  gint n_streams = 1, width = 640, height = 480, fps = 30;
  gint64 max_growth_kb = 5 * 1024;
  gchar *model = NULL, *props = NULL, *pattern = NULL, *format = NULL;
  gboolean copies = FALSE, not_live = FALSE;
  GOptionEntry entries[] = {
    {"duration", 'd', 0, G_OPTION_ARG_DOUBLE, &duration,
        "Seconds to run (600)", "S"},
    {"warmup", 'w', 0, G_OPTION_ARG_DOUBLE, &warmup,
        "Seconds before RSS growth is counted (60)", "S"},
    {"interval", 'i', 0, G_OPTION_ARG_DOUBLE, &interval,
        "Seconds between RSS samples (5)", "S"},
    {"streams", 'n', 0, G_OPTION_ARG_INT, &n_streams,
        "Independent streams in the process (1)", "N"},
    {"model", 'm', 0, G_OPTION_ARG_FILENAME, &model,
        "Model file (the element's default)", "FILE"},
    {"copies", 0, 0, G_OPTION_ARG_NONE, &copies,
          "Give every stream its own copy of the model file (no sharing)",
        NULL},
    {"props", 'p', 0, G_OPTION_ARG_STRING, &props,
        "More googlenetdetect properties (\"async=true\")", "PROPS"},
    {"width", 0, 0, G_OPTION_ARG_INT, &width, "Frame width (640)", "W"},
    {"height", 0, 0, G_OPTION_ARG_INT, &height, "Frame height (480)", "H"},
    {"fps", 0, 0, G_OPTION_ARG_INT, &fps, "Frames per second (30)", "F"},
    {"format", 0, 0, G_OPTION_ARG_STRING, &format, "Video format (I420)",
        "FMT"},
    {"pattern", 0, 0, G_OPTION_ARG_STRING, &pattern,
        "videotestsrc pattern (ball)", "P"},
    {"not-live", 0, 0, G_OPTION_ARG_NONE, &not_live,
        "Source not live: as fast as the element goes", NULL},
    {"max-growth-kb", 0, 0, G_OPTION_ARG_INT64, &max_growth_kb,
        "Largest RSS growth after warm-up that passes (5120)", "KB"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- soak googlenetdetect");
  GError *err = NULL;
  GString *desc = g_string_new (NULL);
  gchar **paths, *copy_dir = NULL;
  Soak soak = { 0 };
  GstBus *bus;
  gint64 growth, total_made = 0, total_out = 0;
  gboolean lost = FALSE, backwards = FALSE, pass;
  guint i;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);
  if (n_streams < 1 || duration <= 0 || interval <= 0) {
    g_printerr ("streams, duration and interval must be positive\n");
    return 2;
  }

  paths = g_new0 (gchar *, n_streams + 1);
  if (copies) {
    if (model == NULL) {
      g_printerr ("--copies needs --model\n");
      return 2;
    }
    copy_dir = copy_model (model, n_streams, paths);
  } else {
    for (i = 0; i < (guint) n_streams; i++)
      paths[i] = g_strdup (model);
  }

  for (i = 0; i < (guint) n_streams; i++) {
    gchar *model_prop = paths[i] ?
        g_strdup_printf ("model=\"%s\"", paths[i]) : g_strdup ("");

    g_string_append_printf (desc, "videotestsrc name=src%u is-live=%s "
        "pattern=%s ! video/x-raw,format=%s,width=%d,height=%d,"
        "framerate=%d/1 ! googlenetdetect name=det%u %s %s ! "
        "fakesink name=sink%u sync=%s ", i, not_live ? "false" : "true",
        pattern ? pattern : "ball", format ? format : "I420", width, height,
        fps, i, model_prop, props ? props : "", i, not_live ? "false" : "true");
    g_free (model_prop);
  }
  g_print ("pipeline: %s\n", desc->str);
  soak.pipeline = gst_parse_launch (desc->str, &err);
  if (soak.pipeline == NULL) {
    g_printerr ("%s\n", err->message);
    return 2;
  }

  soak.n_streams = n_streams;
  soak.streams = g_new0 (Stream, n_streams);
  for (i = 0; i < soak.n_streams; i++) {
    Stream *s = &soak.streams[i];
    gchar *name;

    s->index = i;
    s->last_pts = GST_CLOCK_TIME_NONE;
    name = g_strdup_printf ("src%u", i);
    probe (GST_BIN (soak.pipeline), name, "src", count_made, s);
    g_free (name);
    name = g_strdup_printf ("det%u", i);
    probe (GST_BIN (soak.pipeline), name, "sink", count_in, s);
    probe (GST_BIN (soak.pipeline), name, "src", count_out, s);
    g_free (name);
    name = g_strdup_printf ("sink%u", i);
    s->sink = gst_bin_get_by_name (GST_BIN (soak.pipeline), name);
    g_free (name);
  }

  soak.loop = g_main_loop_new (NULL, FALSE);
  soak.samples = g_array_new (FALSE, FALSE, sizeof (gint64));
  soak.baseline_kb = -1;
  soak.warmup_us = warmup * 1e6;
  bus = gst_element_get_bus (soak.pipeline);
  gst_bus_add_watch (bus, on_message, &soak);

  soak.start_us = g_get_monotonic_time ();
  g_print ("start: rss=%" G_GINT64_FORMAT " kB\n", rss_kb ());
  if (gst_element_set_state (soak.pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_printerr ("could not start the pipeline\n");
    soak.failed = TRUE;
  } else {
    g_timeout_add ((guint) (interval * 1000), sample, &soak);
    g_timeout_add ((guint) (duration * 1000), finish, &soak);
    g_main_loop_run (soak.loop);
  }
  sample (&soak);

  g_print ("\n== googlenetdetect soak: %d stream(s) of %dx%d %s at %d fps, "
      "%s, %.0f s ==\n", n_streams, width, height, format ? format : "I420",
      fps, not_live ? "not live" : "live", duration);
  g_print ("element: googlenetdetect %s %s%s\n",
      model ? model : "(default model)", props ? props : "",
      copies ? " (a copy of the model per stream)" : "");
  for (i = 0; i < soak.n_streams; i++) {
    Stream *s = &soak.streams[i];
    GstStructure *stats = NULL;
    guint64 rendered = 0, dropped = 0;

    g_object_get (s->sink, "stats", &stats, NULL);
    gst_structure_get_uint64 (stats, "rendered", &rendered);
    gst_structure_get_uint64 (stats, "dropped", &dropped);
    gst_structure_free (stats);
    g_print ("stream %u: made %d in %d out %d rendered %" G_GUINT64_FORMAT
        " dropped %" G_GUINT64_FORMAT "  frames with detections %d  "
        "PTS not increasing %d\n", i, s->made, s->in,
        s->out, rendered, dropped, s->with_boxes, s->backwards);
    if (s->made != s->in || s->in != s->out || (guint64) s->out != rendered
        || dropped != 0 || s->out == 0)
      lost = TRUE;
    if (s->backwards)
      backwards = TRUE;
    total_made += s->made;
    total_out += s->out;
  }
  gst_element_set_state (soak.pipeline, GST_STATE_NULL);

  growth = soak.baseline_kb < 0 ? -1 : soak.max_kb - soak.baseline_kb;
  g_print ("frames: made %" G_GINT64_FORMAT ", out %" G_GINT64_FORMAT
      " (%s)\n", total_made, total_out, lost ? "FRAMES LOST" : "none lost");
  g_print ("timestamps monotonic: %s\n", backwards ? "no" : "yes");
  if (soak.baseline_kb >= 0) {
    g_print ("rss after warm-up (%.0f s): %" G_GINT64_FORMAT " kB (%.1f MB)\n",
        warmup, soak.baseline_kb, soak.baseline_kb / 1024.0);
    g_print ("rss min/max after warm-up: %" G_GINT64_FORMAT " / %"
        G_GINT64_FORMAT " kB, at end %" G_GINT64_FORMAT " kB\n", soak.min_kb,
        soak.max_kb, soak.last_kb);
    g_print ("max growth after warm-up: %" G_GINT64_FORMAT " kB (limit %"
        G_GINT64_FORMAT " kB); trend %.1f kB/min\n", growth, max_growth_kb,
        slope_kb_per_min (&soak));
  } else {
    g_print ("rss: no sample after warm-up (run longer than --warmup)\n");
  }
  if (soak.error)
    g_print ("error: %s\n", soak.error);

  pass = !soak.failed && !lost && !backwards && growth >= 0
      && growth < max_growth_kb;
  g_print ("verdict: %s\n", pass ? "PASS" : "FAIL");

  for (i = 0; i < soak.n_streams; i++)
    gst_object_unref (soak.streams[i].sink);
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);
  gst_object_unref (soak.pipeline);
  g_main_loop_unref (soak.loop);
  g_array_unref (soak.samples);
  g_free (soak.streams);
  g_free (soak.error);
  if (copy_dir) {
    for (i = 0; i < (guint) n_streams; i++)
      g_unlink (paths[i]);
    g_rmdir (copy_dir);
    g_free (copy_dir);
  }
  g_strfreev (paths);
  g_string_free (desc, TRUE);
  g_free (model);
  g_free (props);
  g_free (pattern);
  g_free (format);
  return pass ? 0 : 1;
}
