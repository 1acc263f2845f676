/* detect.c - milliseconds per frame of gnet_detector_process, without
 * GStreamer: decoding, the pyramid, the network, grouping and smoothing,
 * as the element runs them, on one frame given again and again.
 *
 *   gnet-detect-bench MODEL FRAME.rgb WIDTH HEIGHT [THREADS] [RUNS] [MODE]
 *
 * FRAME.rgb is WIDTH x HEIGHT packed RGB bytes (bench/detect.sh cuts one
 * out of the sample video).  THREADS as the element's `threads` (0: all
 * cores, the default), RUNS timed frames (100) after 10 untimed, MODE
 * dense (default) or crops.  Prints the median and minimum wall time per
 * frame and the process CPU time per frame (all threads).
 */
#include "gnet.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static gdouble
clock_ms (clockid_t id)
{
  struct timespec ts;

  clock_gettime (id, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static gint
compare_doubles (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  GnetDetectorParams params;
  GnetDetector *detector = NULL;
  GnetModel *model = NULL;
  GnetImage image = { 0 };
  gchar *pixels = NULL;
  gsize length = 0;
  gdouble *times = NULL, cpu0 = 0;
  gint width, height, runs, ret = 1;

  if (argc < 5) {
    g_printerr ("usage: gnet-detect-bench MODEL FRAME.rgb WIDTH HEIGHT "
        "[THREADS] [RUNS] [dense|crops]\n");
    return 2;
  }
  width = atoi (argv[3]);
  height = atoi (argv[4]);
  runs = argc > 6 ? atoi (argv[6]) : 100;
  if (width <= 0 || height <= 0 || runs <= 0) {
    g_printerr ("gnet-detect-bench: bad size or run count\n");
    return 2;
  }
  if (!g_file_get_contents (argv[2], &pixels, &length, &error))
    goto fail;
  if (length != (gsize) width * height * 3) {
    g_printerr ("gnet-detect-bench: %s has %" G_GSIZE_FORMAT " bytes, "
        "not %d x %d x 3\n", argv[2], length, width, height);
    goto out;
  }
  model = gnet_model_load_file (argv[1], &error);
  if (model == NULL)
    goto fail;
  gnet_detector_params_init (&params);
  params.n_threads = argc > 5 ? atoi (argv[5]) : 0;
  if (argc > 7 && strcmp (argv[7], "crops") == 0)
    params.mode = GNET_DETECT_MODE_CROPS;
  params.smoothing = 0.8f;
  detector = gnet_detector_new (model, &params, &error);
  if (detector == NULL)
    goto fail;

  image.format = GNET_PIXEL_FORMAT_RGB;
  image.width = width;
  image.height = height;
  image.planes[0] = (guint8 *) pixels;
  image.strides[0] = width * 3;
  times = g_new (gdouble, runs);
  for (gint i = -10; i < runs; i++) {
    const GnetBox *boxes;
    guint n_boxes;
    gdouble t0;

    if (i == 0)
      cpu0 = clock_ms (CLOCK_PROCESS_CPUTIME_ID);
    t0 = clock_ms (CLOCK_MONOTONIC);
    if (!gnet_detector_process (detector, &image, &boxes, &n_boxes, &error))
      goto fail;
    if (i >= 0)
      times[i] = clock_ms (CLOCK_MONOTONIC) - t0;
  }
  cpu0 = (clock_ms (CLOCK_PROCESS_CPUTIME_ID) - cpu0) / runs;
  qsort (times, runs, sizeof *times, compare_doubles);
  g_print ("median %8.3f ms\nmin    %8.3f ms\ncpu    %8.3f ms per frame "
      "(process CPU time, all threads)\nfps    %8.1f (median)\n",
      runs % 2 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2,
      times[0], cpu0, 1e3 / times[runs / 2]);
  ret = 0;
  goto out;

fail:
  g_printerr ("gnet-detect-bench: %s\n", error->message);
  g_clear_error (&error);
out:
  if (detector)
    gnet_detector_free (detector);
  if (model)
    gnet_model_unref (model);
  g_free (times);
  g_free (pixels);
  return ret;
}
