/* harness.h - what the element's GstCheck tests share: test frames (a grey
 * picture with a pure red square, converted to any format by
 * GstVideoConverter) and appsrc (not live, so detection is deterministic)
 * ! googlenetdetect ! appsink pipelines. */
#ifndef GNET_TEST_HARNESS_H
#define GNET_TEST_HARNESS_H

#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#define FRAME_DURATION (GST_SECOND / 30)

typedef struct
{
  gint x, y, size;              /* size 0: no square */
} Square;

/* A file of the source tree: GNET_SRCDIR (set by meson test,
 * tests/plugin/meson.build) joined with the elements, NULL-terminated. */
gchar *source_path (const gchar * first, ...) G_GNUC_NULL_TERMINATED;

/* A zeroed frame (row padding included) of `format`, grey with `sq` red. */
GstBuffer *make_frame (GstVideoFormat format, gint width, gint height,
    Square sq);

/* appsrc name=src ! googlenetdetect name=det model=MODEL PROPS ! appsink
 * name=sink, PLAYING. */
typedef struct
{
  GstElement *pipeline;
  GstElement *src;
  GstElement *det;
  GstElement *sink;
  GstVideoInfo info;
  guint n_pushed;
  GstClockTime step;            /* PTS distance between frames */
  GQueue messages;              /* element messages, kept by run_finish */
} Run;

Run *run_new (const gchar * model, GstVideoFormat format, gint width,
    gint height, const gchar * props);
void run_free (Run * run);
/* 30 fps caps of `format` on appsrc: the next frames negotiate them. */
void run_set_caps (Run * run, GstVideoFormat format, gint width,
    gint height);
/* Pushes `buf` (taking it) stamped as frame number n_pushed. */
void run_push (Run * run, GstBuffer * buf);
GstBuffer *run_pull (Run * run);
/* EOS in, no more frames out, element messages kept in run->messages. */
void run_finish (Run * run);

typedef struct
{
  guint n;
  GstVideoRegionOfInterestMeta *metas[64];
} Rois;

void get_rois (GstBuffer * buf, Rois * rois);
guint n_rois (GstBuffer * buf);
gdouble rect_iou (gint ax, gint ay, gint aw, gint ah, gint bx, gint by,
    gint bw, gint bh);
gboolean buffers_equal (GstBuffer * a, GstBuffer * b);
/* Checks the detections of red.onnx on a frame with one red square;
 * returns the most confident ROI. */
GstVideoRegionOfInterestMeta *check_red_square (GstBuffer * buf, gint width,
    gint height, Square sq);

#endif /* GNET_TEST_HARNESS_H */
