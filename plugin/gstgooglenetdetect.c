/* gstgooglenetdetect.c - GoogLeNet sliding-window object detector element.
 *
 * A GstVideoFilter working in place: each frame goes to the libgnet
 * detector, and the detections it gets back are drawn onto the frame,
 * attached as GstVideoRegionOfInterestMeta, posted on the bus and written to
 * a JSON lines file, as asked.
 *
 * Two ways of running inference:
 *  - offline (non-live upstream, async=false): every frame is detected in the
 *    streaming thread, in order, so output is deterministic;
 *  - live (live upstream or async=true): a worker thread detects on the
 *    newest frame only and frames pass at once with the most recent
 *    detections, so a slow model never delays a live stream.
 *
 * Example launch lines:
 * |[
 * gst-launch-1.0 v4l2src ! videoconvert ! googlenetdetect ! videoconvert ! \
 *     autovideosink
 * gst-launch-1.0 -m filesrc location=in.mp4 ! decodebin ! videoconvert ! \
 *     googlenetdetect message=true results-file=out.jsonl ! fakesink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstgooglenetdetect.h"
#include "gstgooglenetoverlay.h"
#include "gstgooglenetmodels.h"
#include "gnet.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

GST_DEBUG_CATEGORY_STATIC (gst_googlenet_detect_debug);
#define GST_CAT_DEFAULT gst_googlenet_detect_debug

#ifndef GNET_DEFAULT_MODEL
#define GNET_DEFAULT_MODEL NULL
#endif

#define DEFAULT_MODEL GNET_DEFAULT_MODEL
#define DEFAULT_LABELS_FILE NULL
#define DEFAULT_MEAN NULL
#define DEFAULT_STD NULL
#define DEFAULT_COLOR_ORDER GNET_COLOR_ORDER_MODEL
#define DEFAULT_MODE GNET_DETECT_MODE_DENSE
#define DEFAULT_REFINE GNET_REFINE_NONE
#define DEFAULT_WINDOWS NULL
#define DEFAULT_STRIDE 0.25
#define DEFAULT_THRESHOLD 0.5
#define DEFAULT_RESULTS_THRESHOLD -1.0
#define DEFAULT_IOU_THRESHOLD 0.1 /* see DEFAULT_IOU in core/detect.c */
#define DEFAULT_GROUP_IOU 0.8   /* see DEFAULT_GROUP_IOU in core/detect.c */
#define DEFAULT_MAX_DETECTIONS 100
/* On the 8 held-out scenes (N=8 samples/eval/heldout.sh, dense, the
 * default model) mAP / class-agnostic AP were 0.862 / 0.968 without
 * smoothing, 0.869 / 0.972 at 0.5, 0.872 / 0.973 at 0.7, 0.873 / 0.973 at
 * 0.8 and 0.873 / 0.969 at 0.9; precision / recall at threshold 0.5 went
 * 0.818 / 0.851 -> 0.850 / 0.845 at 0.8 (2026-11-29). */
#define DEFAULT_SMOOTHING 0.8
#define DEFAULT_CLASSES NULL
#define DEFAULT_DRAW TRUE
#define DEFAULT_MESSAGE FALSE
#define DEFAULT_RESULTS_FILE NULL
#define DEFAULT_ASYNC FALSE
#define DEFAULT_MAX_AGE (500 * GST_MSECOND)
#define DEFAULT_INFERENCE_INTERVAL 1
#define DEFAULT_THREADS 0

#define MAX_DETECTIONS_LIMIT 10000

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_LABELS_FILE,
  PROP_MEAN,
  PROP_STD,
  PROP_COLOR_ORDER,
  PROP_MODE,
  PROP_REFINE,
  PROP_WINDOWS,
  PROP_STRIDE,
  PROP_THRESHOLD,
  PROP_IOU_THRESHOLD,
  PROP_GROUP_IOU,
  PROP_MAX_DETECTIONS,
  PROP_SMOOTHING,
  PROP_CLASSES,
  PROP_DRAW,
  PROP_MESSAGE,
  PROP_RESULTS_FILE,
  PROP_RESULTS_THRESHOLD,
  PROP_ASYNC,
  PROP_MAX_AGE,
  PROP_INFERENCE_INTERVAL,
  PROP_THREADS
};

struct _GstGooglenetDetect
{
  GstVideoFilter videofilter;

  /* Properties, protected by the object lock. */
  gchar *model_path;
  gchar *labels_file;
  gchar *mean;
  gchar *std;
  GnetColorOrder color_order;
  GnetDetectMode mode;
  GnetRefine refine;
  gchar *windows;
  gdouble stride;
  gdouble threshold;
  gdouble iou_threshold;
  gdouble group_iou;
  guint max_detections;
  gdouble smoothing;
  gchar *classes;
  gboolean draw;
  gboolean message;
  gchar *results_file;
  gdouble results_threshold;
  gboolean async;
  GstClockTime max_age;
  guint inference_interval;
  gint threads;
  /* threshold or classes changed while playing; whichever thread runs the
   * detector picks the change up before its next frame */
  gboolean settings_changed;
  /* from the moment start() reads the properties until stop(): properties
   * without GST_PARAM_MUTABLE_PLAYING are refused meanwhile */
  gboolean started;
  /* how long the last synchronous detection took, for latency queries */
  GstClockTime process_time;

  /* From start() to stop(). */
  GnetModel *model;
  GnetDetector *detector;
  gchar *active_labels_file;
  gchar *active_classes;
  gint min_window;
  FILE *results;
  gchar *results_path;
  JsonGenerator *json;
  /* the detections frames carry, copied from the detector */
  GnetBox *shown;
  guint n_shown;
  guint max_shown;
  GstClockTime shown_time;
  guint64 n_frames;
  gboolean warned_late;         /* posted "detections arrive too late" */

  /* Per caps. */
  GnetPixelFormat pixel_format;
  GstGooglenetOverlay *overlay;
  /* written by the streaming thread (and stop()); latency queries read it
   * from any thread, hence atomic there */
  gint use_worker;
  /* set when any latency query through the element says upstream is live
   * (the one in set_info may come too early to know) */
  gint upstream_live;

  /* The worker (live / async).  worker_lock protects everything below
   * except `working`, which only the worker touches while it runs. */
  GThread *worker;
  GMutex worker_lock;
  GCond worker_cond;
  gboolean worker_stop;
  GstVideoInfo worker_info;
  GstBuffer *pending;
  GstBuffer *working;
  gboolean has_pending;
  GstClockTime pending_time;
  /* bumped on flush, so a detection still running on a frame from before
   * a seek is thrown away */
  guint generation;
  /* the generation of the frames the detector saw last: when it changes,
   * the detector forgets them (smoothing); only the thread running the
   * detector touches it */
  guint detector_generation;
  GnetBox *worker_boxes;        /* the worker's own, written unlocked */
  GnetBox *result;
  guint n_result;
  GstClockTime result_time;
  gboolean has_result;
  GError *worker_error;
};

#define VIDEO_FORMATS \
  "{ RGB, BGR, RGBA, BGRA, ARGB, ABGR, RGBx, BGRx, xRGB, xBGR, I420, NV12 }"

static GstStaticPadTemplate gst_googlenet_detect_src_template =
GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS))
    );

static GstStaticPadTemplate gst_googlenet_detect_sink_template =
GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS))
    );

#define GST_TYPE_GOOGLENET_COLOR_ORDER (gst_googlenet_color_order_get_type ())
static GType
gst_googlenet_color_order_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GNET_COLOR_ORDER_MODEL, "As the model's metadata says", "model"},
    {GNET_COLOR_ORDER_RGB, "RGB", "rgb"},
    {GNET_COLOR_ORDER_BGR, "BGR", "bgr"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstGooglenetColorOrder", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define GST_TYPE_GOOGLENET_MODE (gst_googlenet_mode_get_type ())
static GType
gst_googlenet_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GNET_DETECT_MODE_DENSE,
        "One fully convolutional pass per window size", "dense"},
    {GNET_DETECT_MODE_CROPS,
        "Every window resized and classified on its own", "crops"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstGooglenetMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define GST_TYPE_GOOGLENET_REFINE (gst_googlenet_refine_get_type ())
static GType
gst_googlenet_refine_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GNET_REFINE_NONE, "The model's box: the window, or the box it regresses",
        "none"},
    {GNET_REFINE_CAM, "Trim the box to the class activation map", "cam"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstGooglenetRefine", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define gst_googlenet_detect_parent_class parent_class
G_DEFINE_TYPE (GstGooglenetDetect, gst_googlenet_detect, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (googlenetdetect, "googlenetdetect",
    GST_RANK_NONE, GST_TYPE_GOOGLENET_DETECT);

static void gst_googlenet_detect_set_property (GObject * object,
    guint prop_id, const GValue * value, GParamSpec * pspec);
static void gst_googlenet_detect_get_property (GObject * object,
    guint prop_id, GValue * value, GParamSpec * pspec);
static void gst_googlenet_detect_finalize (GObject * object);
static gboolean gst_googlenet_detect_start (GstBaseTransform * trans);
static gboolean gst_googlenet_detect_stop (GstBaseTransform * trans);
static gboolean gst_googlenet_detect_sink_event (GstBaseTransform * trans,
    GstEvent * event);
static gboolean gst_googlenet_detect_query (GstBaseTransform * trans,
    GstPadDirection direction, GstQuery * query);
static gboolean gst_googlenet_detect_set_info (GstVideoFilter * filter,
    GstCaps * incaps, GstVideoInfo * in_info, GstCaps * outcaps,
    GstVideoInfo * out_info);
static GstFlowReturn gst_googlenet_detect_transform_frame_ip (GstVideoFilter *
    filter, GstVideoFrame * frame);

static void
gst_googlenet_detect_class_init (GstGooglenetDetectClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;
  GstBaseTransformClass *trans_class = (GstBaseTransformClass *) klass;
  GstVideoFilterClass *vfilter_class = (GstVideoFilterClass *) klass;

  GST_DEBUG_CATEGORY_INIT (gst_googlenet_detect_debug, "googlenetdetect", 0,
      "GoogLeNet object detector");

  gobject_class->set_property = gst_googlenet_detect_set_property;
  gobject_class->get_property = gst_googlenet_detect_get_property;
  gobject_class->finalize = gst_googlenet_detect_finalize;

  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "ONNX classifier to slide over the frame (GoogLeNet layout). "
          "Read when the element starts (READY to PAUSED): a change while "
          "PAUSED or PLAYING is refused with a warning message. Elements "
          "naming the same file share one copy of its weights",
          DEFAULT_MODEL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_LABELS_FILE,
      g_param_spec_string ("labels-file", "Labels file",
          "One label per line in output order (synset.txt works); "
          "NULL = labels from the model",
          DEFAULT_LABELS_FILE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MEAN,
      g_param_spec_string ("mean", "Mean",
          "Per-channel mean \"a,b,c\" in the model's channel order and "
          "input range; NULL = from the model",
          DEFAULT_MEAN,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_STD,
      g_param_spec_string ("std", "Standard deviation",
          "Per-channel standard deviation \"a,b,c\"; NULL = from the model",
          DEFAULT_STD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_COLOR_ORDER,
      g_param_spec_enum ("color-order", "Colour order",
          "Channel order the model expects",
          GST_TYPE_GOOGLENET_COLOR_ORDER, DEFAULT_COLOR_ORDER,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          "How windows are evaluated",
          GST_TYPE_GOOGLENET_MODE, DEFAULT_MODE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_REFINE,
      g_param_spec_enum ("refine", "Refine",
          "How a window is turned into a box",
          GST_TYPE_GOOGLENET_REFINE, DEFAULT_REFINE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_WINDOWS,
      g_param_spec_string ("windows", "Windows",
          "Window sizes in frame pixels, e.g. \"96,160,256\"; "
          "NULL or empty = the model's recommendation",
          DEFAULT_WINDOWS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_STRIDE,
      g_param_spec_double ("stride", "Stride",
          "Step between windows as a fraction of the window size",
          0.01, 1.0, DEFAULT_STRIDE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_THRESHOLD,
      g_param_spec_double ("threshold", "Threshold",
          "Minimum class probability of a detection",
          0.0, 1.0, DEFAULT_THRESHOLD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_IOU_THRESHOLD,
      g_param_spec_double ("iou-threshold", "IoU threshold",
          "Overlap above which the weaker of two boxes of a class is dropped",
          0.0, 1.0, DEFAULT_IOU_THRESHOLD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_GROUP_IOU,
      g_param_spec_double ("group-iou", "Group IoU",
          "Overlap above which a weaker box of another class is taken for "
          "the same object and listed as one of its alternatives (1: every "
          "class is an object of its own)",
          0.0, 1.0, DEFAULT_GROUP_IOU,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MAX_DETECTIONS,
      g_param_spec_uint ("max-detections", "Maximum detections",
          "Most detections kept per frame",
          1, MAX_DETECTIONS_LIMIT, DEFAULT_MAX_DETECTIONS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_SMOOTHING,
      g_param_spec_double ("smoothing", "Smoothing",
          "Weight of the previous frames in an object's class probabilities: "
          "each object continues the one of the previous frame it overlaps "
          "most, and its probabilities become smoothing x that object's + "
          "(1 - smoothing) x its own, so labels stop flickering "
          "(0: every frame on its own; boxes are never smoothed)",
          0.0, 0.99, DEFAULT_SMOOTHING,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_CLASSES,
      g_param_spec_string ("classes", "Classes",
          "Comma-separated labels to report; NULL or empty = all",
          DEFAULT_CLASSES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_DRAW,
      g_param_spec_boolean ("draw", "Draw",
          "Draw boxes and labels onto the frames",
          DEFAULT_DRAW,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MESSAGE,
      g_param_spec_boolean ("message", "Message",
          "Post an element message with the detections of every frame",
          DEFAULT_MESSAGE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_RESULTS_FILE,
      g_param_spec_string ("results-file", "Results file",
          "Write one JSON line per frame (DL Streamer gvametaconvert "
          "schema) to this file; NULL = none",
          DEFAULT_RESULTS_FILE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_RESULTS_THRESHOLD,
      g_param_spec_double ("results-threshold", "Results threshold",
          "Minimum class probability of the detections written to "
          "results-file; -1 = threshold.  Lower it (e.g. 0.05) to score "
          "the detector's ranking by mAP: what is drawn, attached and "
          "posted still needs threshold",
          -1.0, 1.0, DEFAULT_RESULTS_THRESHOLD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_ASYNC,
      g_param_spec_boolean ("async", "Asynchronous",
          "Detect in a worker thread on the newest frame and never hold "
          "frames back (always the case with a live upstream)",
          DEFAULT_ASYNC,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MAX_AGE,
      g_param_spec_uint64 ("max-age", "Maximum age",
          "In asynchronous mode, how long (ns of running time) detections "
          "stay on later frames",
          0, G_MAXUINT64, DEFAULT_MAX_AGE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_INFERENCE_INTERVAL,
      g_param_spec_uint ("inference-interval", "Inference interval",
          "Detect on every Nth frame; frames in between carry the last "
          "detections",
          1, G_MAXINT, DEFAULT_INFERENCE_INTERVAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_THREADS,
      g_param_spec_int ("threads", "Threads",
          "Threads for inference (0 = all cores)",
          0, 256, DEFAULT_THREADS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  gst_element_class_set_static_metadata (element_class,
      "GoogLeNet object detector", "Filter/Analyzer/Video",
      "Detects objects with a GoogLeNet classifier slid over the frame; "
      "draws them, attaches region-of-interest metadata, posts messages "
      "and writes JSON lines", "gnet developers");
  gst_element_class_add_static_pad_template (element_class,
      &gst_googlenet_detect_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &gst_googlenet_detect_src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_googlenet_detect_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_googlenet_detect_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_googlenet_detect_sink_event);
  trans_class->query = GST_DEBUG_FUNCPTR (gst_googlenet_detect_query);

  vfilter_class->set_info = GST_DEBUG_FUNCPTR (gst_googlenet_detect_set_info);
  vfilter_class->transform_frame_ip =
      GST_DEBUG_FUNCPTR (gst_googlenet_detect_transform_frame_ip);

  gst_type_mark_as_plugin_api (GST_TYPE_GOOGLENET_COLOR_ORDER, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_GOOGLENET_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_GOOGLENET_REFINE, 0);
}

static void
gst_googlenet_detect_init (GstGooglenetDetect * self)
{
  self->model_path = g_strdup (DEFAULT_MODEL);
  self->color_order = DEFAULT_COLOR_ORDER;
  self->mode = DEFAULT_MODE;
  self->refine = DEFAULT_REFINE;
  self->stride = DEFAULT_STRIDE;
  self->threshold = DEFAULT_THRESHOLD;
  self->results_threshold = DEFAULT_RESULTS_THRESHOLD;
  self->iou_threshold = DEFAULT_IOU_THRESHOLD;
  self->group_iou = DEFAULT_GROUP_IOU;
  self->max_detections = DEFAULT_MAX_DETECTIONS;
  self->smoothing = DEFAULT_SMOOTHING;
  self->draw = DEFAULT_DRAW;
  self->message = DEFAULT_MESSAGE;
  self->async = DEFAULT_ASYNC;
  self->max_age = DEFAULT_MAX_AGE;
  self->inference_interval = DEFAULT_INFERENCE_INTERVAL;
  self->threads = DEFAULT_THREADS;
  self->shown_time = GST_CLOCK_TIME_NONE;
  self->result_time = GST_CLOCK_TIME_NONE;
  self->process_time = 0;

  g_mutex_init (&self->worker_lock);
  g_cond_init (&self->worker_cond);

  /* Never passthrough: even with draw=false, metadata is attached.  No
   * QoS: GstVideoFilter would otherwise drop frames it thinks are late,
   * and every frame must come out. */
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), FALSE);
  gst_base_transform_set_qos_enabled (GST_BASE_TRANSFORM (self), FALSE);
}

static void
gst_googlenet_detect_finalize (GObject * object)
{
  GstGooglenetDetect *self = GST_GOOGLENET_DETECT (object);

  g_free (self->model_path);
  g_free (self->labels_file);
  g_free (self->mean);
  g_free (self->std);
  g_free (self->windows);
  g_free (self->classes);
  g_free (self->results_file);
  g_free (self->active_labels_file);
  g_free (self->active_classes);
  g_mutex_clear (&self->worker_lock);
  g_cond_clear (&self->worker_cond);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_googlenet_detect_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstGooglenetDetect *self = GST_GOOGLENET_DETECT (object);

  GST_OBJECT_LOCK (self);
  /* The running detector was built from these; changing them now would
   * make the property say what the element is not doing. */
  if (self->started && !(pspec->flags & GST_PARAM_MUTABLE_PLAYING))
    goto not_now;
  switch (prop_id) {
    case PROP_MODEL:
      g_free (self->model_path);
      self->model_path = g_value_dup_string (value);
      break;
    case PROP_LABELS_FILE:
      g_free (self->labels_file);
      self->labels_file = g_value_dup_string (value);
      break;
    case PROP_MEAN:
      g_free (self->mean);
      self->mean = g_value_dup_string (value);
      break;
    case PROP_STD:
      g_free (self->std);
      self->std = g_value_dup_string (value);
      break;
    case PROP_COLOR_ORDER:
      self->color_order = g_value_get_enum (value);
      break;
    case PROP_MODE:
      self->mode = g_value_get_enum (value);
      break;
    case PROP_REFINE:
      self->refine = g_value_get_enum (value);
      break;
    case PROP_WINDOWS:
      g_free (self->windows);
      self->windows = g_value_dup_string (value);
      break;
    case PROP_STRIDE:
      self->stride = g_value_get_double (value);
      break;
    case PROP_THRESHOLD:
      self->threshold = g_value_get_double (value);
      self->settings_changed = TRUE;
      break;
    case PROP_RESULTS_THRESHOLD:
      self->results_threshold = g_value_get_double (value);
      self->settings_changed = TRUE;
      break;
    case PROP_IOU_THRESHOLD:
      self->iou_threshold = g_value_get_double (value);
      break;
    case PROP_GROUP_IOU:
      self->group_iou = g_value_get_double (value);
      break;
    case PROP_MAX_DETECTIONS:
      self->max_detections = g_value_get_uint (value);
      break;
    case PROP_SMOOTHING:
      self->smoothing = g_value_get_double (value);
      self->settings_changed = TRUE;
      break;
    case PROP_CLASSES:
      g_free (self->classes);
      self->classes = g_value_dup_string (value);
      self->settings_changed = TRUE;
      break;
    case PROP_DRAW:
      self->draw = g_value_get_boolean (value);
      break;
    case PROP_MESSAGE:
      self->message = g_value_get_boolean (value);
      break;
    case PROP_RESULTS_FILE:
      g_free (self->results_file);
      self->results_file = g_value_dup_string (value);
      break;
    case PROP_ASYNC:
      self->async = g_value_get_boolean (value);
      break;
    case PROP_MAX_AGE:
      self->max_age = g_value_get_uint64 (value);
      break;
    case PROP_INFERENCE_INTERVAL:
      self->inference_interval = g_value_get_uint (value);
      break;
    case PROP_THREADS:
      self->threads = g_value_get_int (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
  return;

  /* ERRORS */
not_now:
  {
    GST_OBJECT_UNLOCK (self);
    GST_WARNING_OBJECT (self, "refusing to change %s while running",
        pspec->name);
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("Property \"%s\" can only be changed in the NULL or READY state; "
            "keeping the current value.", pspec->name), (NULL));
    return;
  }
}

static void
gst_googlenet_detect_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstGooglenetDetect *self = GST_GOOGLENET_DETECT (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model_path);
      break;
    case PROP_LABELS_FILE:
      g_value_set_string (value, self->labels_file);
      break;
    case PROP_MEAN:
      g_value_set_string (value, self->mean);
      break;
    case PROP_STD:
      g_value_set_string (value, self->std);
      break;
    case PROP_COLOR_ORDER:
      g_value_set_enum (value, self->color_order);
      break;
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_REFINE:
      g_value_set_enum (value, self->refine);
      break;
    case PROP_WINDOWS:
      g_value_set_string (value, self->windows);
      break;
    case PROP_STRIDE:
      g_value_set_double (value, self->stride);
      break;
    case PROP_THRESHOLD:
      g_value_set_double (value, self->threshold);
      break;
    case PROP_RESULTS_THRESHOLD:
      g_value_set_double (value, self->results_threshold);
      break;
    case PROP_IOU_THRESHOLD:
      g_value_set_double (value, self->iou_threshold);
      break;
    case PROP_GROUP_IOU:
      g_value_set_double (value, self->group_iou);
      break;
    case PROP_MAX_DETECTIONS:
      g_value_set_uint (value, self->max_detections);
      break;
    case PROP_SMOOTHING:
      g_value_set_double (value, self->smoothing);
      break;
    case PROP_CLASSES:
      g_value_set_string (value, self->classes);
      break;
    case PROP_DRAW:
      g_value_set_boolean (value, self->draw);
      break;
    case PROP_MESSAGE:
      g_value_set_boolean (value, self->message);
      break;
    case PROP_RESULTS_FILE:
      g_value_set_string (value, self->results_file);
      break;
    case PROP_ASYNC:
      g_value_set_boolean (value, self->async);
      break;
    case PROP_MAX_AGE:
      g_value_set_uint64 (value, self->max_age);
      break;
    case PROP_INFERENCE_INTERVAL:
      g_value_set_uint (value, self->inference_interval);
      break;
    case PROP_THREADS:
      g_value_set_int (value, self->threads);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ------------------------------------------------------------------------ */
/* Settings                                                                 */
/* ------------------------------------------------------------------------ */

static gboolean
is_unset (const gchar * str)
{
  while (str && g_ascii_isspace (*str))
    str++;
  return str == NULL || *str == '\0';
}

/* The detector's own threshold: the lower of threshold and, when results go
 * to a file, results-threshold.  Called with the object lock held. */
static gdouble
detector_threshold (GstGooglenetDetect * self)
{
  if (is_unset (self->results_file) || self->results_threshold < 0.0)
    return self->threshold;
  return MIN (self->threshold, self->results_threshold);
}

/* Fills params from the properties; called with the object lock held.
 * Strings the params point to are copied into self->active_*. */
static gboolean
gst_googlenet_detect_fill_params (GstGooglenetDetect * self,
    GnetDetectorParams * params, const gchar ** bad_name,
    const gchar ** bad_value)
{
  gnet_detector_params_init (params);
  params->mode = self->mode;
  params->refine = self->refine;
  params->stride = self->stride;
  params->threshold = detector_threshold (self);
  params->iou_threshold = self->iou_threshold;
  params->group_iou = self->group_iou;
  params->max_detections = self->max_detections;
  params->smoothing = self->smoothing;
  params->n_threads = self->threads;
  params->color_order = self->color_order;

  if (!is_unset (self->mean)) {
    params->has_mean = TRUE;
    if (!gnet_parse_floats (self->mean, params->mean, 3))
      goto bad_mean;
  }
  if (!is_unset (self->std)) {
    params->has_std = TRUE;
    if (!gnet_parse_floats (self->std, params->std, 3)
        || params->std[0] == 0.0f || params->std[1] == 0.0f
        || params->std[2] == 0.0f)
      goto bad_std;
  }
  if (!is_unset (self->windows)
      && !gnet_parse_sizes (self->windows, params->windows,
          GNET_MAX_WINDOWS, &params->n_windows))
    goto bad_windows;

  g_free (self->active_labels_file);
  self->active_labels_file = is_unset (self->labels_file) ? NULL :
      g_strdup (self->labels_file);
  params->labels_file = self->active_labels_file;
  g_free (self->active_classes);
  self->active_classes = g_strdup (self->classes);
  params->classes = self->active_classes;
  self->settings_changed = FALSE;
  return TRUE;

  /* ERRORS */
bad_mean:
  {
    *bad_name = "mean";
    *bad_value = self->mean;
    return FALSE;
  }
bad_std:
  {
    *bad_name = "std";
    *bad_value = self->std;
    return FALSE;
  }
bad_windows:
  {
    *bad_name = "windows";
    *bad_value = self->windows;
    return FALSE;
  }
}

/* Threshold, smoothing and classes may change while playing; the thread
 * that runs the detector applies them between frames. */
static void
gst_googlenet_detect_apply_settings (GstGooglenetDetect * self)
{
  gdouble threshold, smoothing;
  gchar *classes;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  if (!self->settings_changed) {
    GST_OBJECT_UNLOCK (self);
    return;
  }
  self->settings_changed = FALSE;
  threshold = detector_threshold (self);
  smoothing = self->smoothing;
  classes = g_strdup (self->classes);
  GST_OBJECT_UNLOCK (self);

  gnet_detector_set_threshold (self->detector, threshold);
  gnet_detector_set_smoothing (self->detector, smoothing);
  if (g_strcmp0 (classes, self->active_classes) != 0) {
    if (gnet_detector_set_classes (self->detector, classes, &err)) {
      g_free (self->active_classes);
      self->active_classes = classes;
      classes = NULL;
    } else {
      GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
          ("Ignoring classes \"%s\", keeping \"%s\".", classes,
              GST_STR_NULL (self->active_classes)), ("%s", err->message));
      g_clear_error (&err);
    }
  }
  g_free (classes);
}

/* ------------------------------------------------------------------------ */
/* Start / stop                                                             */
/* ------------------------------------------------------------------------ */

/* What went wrong loading the model (detector FALSE) or making a detector
 * of it (TRUE), in words a user can act on; the GError goes to the debug
 * text. */
static void
post_model_error (GstGooglenetDetect * self, const gchar * path,
    gboolean detector, const GError * err)
{
  if (detector && err->code == GNET_ERROR_IO) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Could not read labels file \"%s\".",
            GST_STR_NULL (self->active_labels_file)), ("%s", err->message));
    return;
  }
  switch (err->code) {
    case GNET_ERROR_IO:
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("Could not read model file \"%s\".", path), ("%s", err->message));
      break;
    case GNET_ERROR_PARSE:
      GST_ELEMENT_ERROR (self, RESOURCE, READ,
          ("Model file \"%s\" is corrupt or not an ONNX model.", path),
          ("%s", err->message));
      break;
    case GNET_ERROR_UNSUPPORTED_OP:
    case GNET_ERROR_UNSUPPORTED:
      GST_ELEMENT_ERROR (self, RESOURCE, READ,
          ("Model \"%s\" uses something this version cannot run.", path),
          ("%s", err->message));
      break;
    case GNET_ERROR_SETTINGS:
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("Invalid detector settings for model \"%s\".", path),
          ("%s", err->message));
      break;
    default:
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("Model \"%s\" cannot be used as a sliding-window detector.", path),
          ("%s", err->message));
      break;
  }
}

static gboolean
gst_googlenet_detect_start (GstBaseTransform * trans)
{
  GstGooglenetDetect *self = GST_GOOGLENET_DETECT (trans);
  GnetDetectorParams params;
  const gchar *bad_name = NULL, *bad_value = NULL;
  gchar *model_path, *results_path;
  GError *err = NULL;
  gboolean ok, shared;

  GST_OBJECT_LOCK (self);
  self->started = TRUE;
  ok = gst_googlenet_detect_fill_params (self, &params, &bad_name, &bad_value);
  model_path = g_strdup (self->model_path);
  results_path = is_unset (self->results_file) ? NULL :
      g_strdup (self->results_file);
  if (!ok) {
    GST_OBJECT_UNLOCK (self);
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Invalid %s \"%s\".", bad_name, bad_value),
        ("%s", g_str_equal (bad_name, "windows") ?
            "expected up to 16 comma-separated positive pixel sizes" :
            "expected three comma-separated numbers (std non-zero)"));
    goto failed;
  }
  GST_OBJECT_UNLOCK (self);

  if (is_unset (model_path))
    goto no_model;

  self->model = gst_googlenet_models_acquire (model_path, &shared, &err);
  if (self->model == NULL)
    goto model_failed;
  GST_INFO_OBJECT (self, "%s model %s", shared ? "sharing the loaded" :
      "loaded", model_path);
  self->detector = gnet_detector_new (self->model, &params, &err);
  if (self->detector == NULL)
    goto detector_failed;
  self->min_window = gnet_detector_get_min_window (self->detector);

  if (results_path) {
    self->results = g_fopen (results_path, "w");
    if (self->results == NULL)
      goto open_failed;
    self->results_path = results_path;
    self->json = json_generator_new ();
    results_path = NULL;
  }

  self->max_shown = params.max_detections;
  self->shown = g_new0 (GnetBox, self->max_shown);
  self->result = g_new0 (GnetBox, self->max_shown);
  self->worker_boxes = g_new0 (GnetBox, self->max_shown);
  self->n_shown = 0;
  self->shown_time = GST_CLOCK_TIME_NONE;
  self->n_frames = 0;
  self->warned_late = FALSE;
  g_free (model_path);
  return TRUE;

  /* ERRORS */
no_model:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No model: set the \"model\" property to an ONNX file."), (NULL));
    goto failed;
  }
model_failed:
  {
    post_model_error (self, model_path, FALSE, err);
    g_clear_error (&err);
    goto failed;
  }
detector_failed:
  {
    post_model_error (self, model_path, TRUE, err);
    g_clear_error (&err);
    goto failed;
  }
open_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Could not open results file \"%s\" for writing.", results_path),
        GST_ERROR_SYSTEM);
    goto failed;
  }
failed:
  {
    g_free (model_path);
    g_free (results_path);
    gnet_detector_free (self->detector);
    self->detector = NULL;
    gst_googlenet_models_release (self->model);
    self->model = NULL;
    /* stop() is not called after a failed start() */
    g_clear_pointer (&self->active_labels_file, g_free);
    g_clear_pointer (&self->active_classes, g_free);
    GST_OBJECT_LOCK (self);
    self->started = FALSE;
    GST_OBJECT_UNLOCK (self);
    return FALSE;
  }
}

static void gst_googlenet_detect_stop_worker (GstGooglenetDetect * self);

static gboolean
gst_googlenet_detect_stop (GstBaseTransform * trans)
{
  GstGooglenetDetect *self = GST_GOOGLENET_DETECT (trans);

  gst_googlenet_detect_stop_worker (self);
  g_atomic_int_set (&self->upstream_live, FALSE);
  g_atomic_int_set (&self->use_worker, FALSE);
  gst_clear_buffer (&self->pending);
  gst_clear_buffer (&self->working);
  g_clear_error (&self->worker_error);

  if (self->results) {
    if (fclose (self->results) != 0)
      GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
          ("Could not finish results file \"%s\".", self->results_path),
          GST_ERROR_SYSTEM);
    self->results = NULL;
  }
  g_clear_pointer (&self->results_path, g_free);
  g_clear_object (&self->json);

  gst_googlenet_overlay_free (self->overlay);
  self->overlay = NULL;
  g_clear_pointer (&self->shown, g_free);
  g_clear_pointer (&self->result, g_free);
  g_clear_pointer (&self->worker_boxes, g_free);
  self->n_shown = 0;
  self->n_result = 0;
  self->max_shown = 0;

  gnet_detector_free (self->detector);
  self->detector = NULL;
  gst_googlenet_models_release (self->model);
  self->model = NULL;
  g_clear_pointer (&self->active_labels_file, g_free);
  g_clear_pointer (&self->active_classes, g_free);
  GST_OBJECT_LOCK (self);
  self->started = FALSE;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Detection                                                                */
/* ------------------------------------------------------------------------ */

static void
frame_to_image (GstGooglenetDetect * self, GstVideoFrame * frame,
    GnetImage * image)
{
  guint p;

  memset (image, 0, sizeof (*image));
  image->format = self->pixel_format;
  image->width = GST_VIDEO_FRAME_WIDTH (frame);
  image->height = GST_VIDEO_FRAME_HEIGHT (frame);
  for (p = 0; p < GST_VIDEO_FRAME_N_PLANES (frame) && p < 3; p++) {
    image->planes[p] = GST_VIDEO_FRAME_PLANE_DATA (frame, p);
    image->strides[p] = GST_VIDEO_FRAME_PLANE_STRIDE (frame, p);
  }
}

/* Runs the detector on one frame and copies up to max-detections boxes to
 * `out`.  Called by whichever thread owns the detector (streaming thread or
 * worker). */
static gboolean
gst_googlenet_detect_run (GstGooglenetDetect * self, GstVideoFrame * frame,
    GnetBox * out, guint * n_out, GError ** error)
{
  GnetImage image;
  const GnetBox *boxes = NULL;
  guint n_boxes = 0, generation;

  gst_googlenet_detect_apply_settings (self);
  /* After a seek the objects of the frames before it are not this
   * scene's. */
  g_mutex_lock (&self->worker_lock);
  generation = self->generation;
  g_mutex_unlock (&self->worker_lock);
  if (generation != self->detector_generation) {
    gnet_detector_reset (self->detector);
    self->detector_generation = generation;
  }

  /* Nothing fits in a frame smaller than the smallest window. */
  if (GST_VIDEO_FRAME_WIDTH (frame) < self->min_window
      || GST_VIDEO_FRAME_HEIGHT (frame) < self->min_window) {
    *n_out = 0;
    return TRUE;
  }

  frame_to_image (self, frame, &image);
  if (!gnet_detector_process (self->detector, &image, &boxes, &n_boxes, error))
    return FALSE;
  n_boxes = MIN (n_boxes, self->max_shown);
  memcpy (out, boxes, n_boxes * sizeof (GnetBox));
  *n_out = n_boxes;
  return TRUE;
}

static gpointer
gst_googlenet_detect_worker (gpointer data)
{
  GstGooglenetDetect *self = data;

  g_mutex_lock (&self->worker_lock);
  while (!self->worker_stop) {
    GstVideoFrame frame;
    GstBuffer *tmp;
    GstClockTime time;
    GError *err = NULL;
    guint n = 0, generation;
    gboolean ok;

    if (!self->has_pending) {
      g_cond_wait (&self->worker_cond, &self->worker_lock);
      continue;
    }
    /* Take the newest frame; the streaming thread may overwrite the
     * pending slot while this one is being detected. */
    tmp = self->working;
    self->working = self->pending;
    self->pending = tmp;
    self->has_pending = FALSE;
    time = self->pending_time;
    generation = self->generation;
    g_mutex_unlock (&self->worker_lock);

    ok = gst_video_frame_map (&frame, &self->worker_info, self->working,
        GST_MAP_READ);
    if (ok) {
      ok = gst_googlenet_detect_run (self, &frame, self->worker_boxes, &n,
          &err);
      gst_video_frame_unmap (&frame);
    } else {
      g_set_error (&err, GNET_ERROR, GNET_ERROR_INPUT,
          "could not map the worker's frame copy");
    }

    g_mutex_lock (&self->worker_lock);
    if (generation != self->generation) {
      g_clear_error (&err);
    } else if (ok) {
      memcpy (self->result, self->worker_boxes, n * sizeof (GnetBox));
      self->n_result = n;
      self->result_time = time;
      self->has_result = TRUE;
    } else if (self->worker_error == NULL) {
      self->worker_error = err;
    } else {
      g_clear_error (&err);
    }
  }
  g_mutex_unlock (&self->worker_lock);
  return NULL;
}

static void
gst_googlenet_detect_stop_worker (GstGooglenetDetect * self)
{
  GThread *worker;

  g_mutex_lock (&self->worker_lock);
  worker = self->worker;
  self->worker = NULL;
  self->worker_stop = TRUE;
  g_cond_signal (&self->worker_cond);
  g_mutex_unlock (&self->worker_lock);

  if (worker)
    g_thread_join (worker);

  self->worker_stop = FALSE;
  self->has_pending = FALSE;
  self->has_result = FALSE;
  self->n_result = 0;
  self->result_time = GST_CLOCK_TIME_NONE;
}

static gboolean
gst_googlenet_detect_start_worker (GstGooglenetDetect * self,
    const GstVideoInfo * info, GError ** error)
{
  /* Two frame copies per caps: the one the worker detects on and the
   * newest one waiting for it. */
  self->worker_info = *info;
  gst_clear_buffer (&self->pending);
  gst_clear_buffer (&self->working);
  self->pending = gst_buffer_new_allocate (NULL, info->size, NULL);
  self->working = gst_buffer_new_allocate (NULL, info->size, NULL);
  if (self->pending == NULL || self->working == NULL) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_INPUT,
        "could not allocate %" G_GSIZE_FORMAT " bytes for frame copies",
        info->size);
    return FALSE;
  }
  self->worker = g_thread_try_new ("googlenetdetect",
      gst_googlenet_detect_worker, self, error);
  return self->worker != NULL;
}

/* Hands a copy of the frame to the worker, replacing any frame it has not
 * started on yet. */
static void
gst_googlenet_detect_submit (GstGooglenetDetect * self, GstVideoFrame * frame,
    GstClockTime time)
{
  GstVideoFrame copy;

  g_mutex_lock (&self->worker_lock);
  if (gst_video_frame_map (&copy, &self->worker_info, self->pending,
          GST_MAP_WRITE)) {
    gst_video_frame_copy (&copy, frame);
    gst_video_frame_unmap (&copy);
    self->has_pending = TRUE;
    self->pending_time = time;
    g_cond_signal (&self->worker_cond);
  }
  g_mutex_unlock (&self->worker_lock);
}

/* Takes the worker's newest detections, if any, into self->shown; *fresh
 * says whether there were new ones. */
static gboolean
gst_googlenet_detect_collect (GstGooglenetDetect * self, gboolean * fresh,
    GError ** error)
{
  gboolean ok = TRUE;

  *fresh = FALSE;
  g_mutex_lock (&self->worker_lock);
  if (self->worker_error) {
    g_propagate_error (error, self->worker_error);
    self->worker_error = NULL;
    ok = FALSE;
  } else if (self->has_result) {
    memcpy (self->shown, self->result, self->n_result * sizeof (GnetBox));
    self->n_shown = self->n_result;
    self->shown_time = self->result_time;
    self->has_result = FALSE;
    *fresh = TRUE;
  }
  g_mutex_unlock (&self->worker_lock);
  return ok;
}

/* ------------------------------------------------------------------------ */
/* Caps                                                                     */
/* ------------------------------------------------------------------------ */

static gboolean
pixel_format_from_video (GstVideoFormat format, GnetPixelFormat * out)
{
  static const struct
  {
    GstVideoFormat video;
    GnetPixelFormat gnet;
  } map[] = {
    {GST_VIDEO_FORMAT_RGB, GNET_PIXEL_FORMAT_RGB},
    {GST_VIDEO_FORMAT_BGR, GNET_PIXEL_FORMAT_BGR},
    {GST_VIDEO_FORMAT_RGBA, GNET_PIXEL_FORMAT_RGBA},
    {GST_VIDEO_FORMAT_BGRA, GNET_PIXEL_FORMAT_BGRA},
    {GST_VIDEO_FORMAT_ARGB, GNET_PIXEL_FORMAT_ARGB},
    {GST_VIDEO_FORMAT_ABGR, GNET_PIXEL_FORMAT_ABGR},
    {GST_VIDEO_FORMAT_RGBx, GNET_PIXEL_FORMAT_RGBX},
    {GST_VIDEO_FORMAT_BGRx, GNET_PIXEL_FORMAT_BGRX},
    {GST_VIDEO_FORMAT_xRGB, GNET_PIXEL_FORMAT_XRGB},
    {GST_VIDEO_FORMAT_xBGR, GNET_PIXEL_FORMAT_XBGR},
    {GST_VIDEO_FORMAT_I420, GNET_PIXEL_FORMAT_I420},
    {GST_VIDEO_FORMAT_NV12, GNET_PIXEL_FORMAT_NV12},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (map); i++) {
    if (map[i].video == format) {
      *out = map[i].gnet;
      return TRUE;
    }
  }
  return FALSE;
}

static gboolean
upstream_is_live (GstGooglenetDetect * self)
{
  GstQuery *query = gst_query_new_latency ();
  gboolean live = FALSE;

  if (gst_pad_peer_query (GST_BASE_TRANSFORM_SINK_PAD (self), query))
    gst_query_parse_latency (query, &live, NULL, NULL);
  else
    GST_DEBUG_OBJECT (self, "upstream did not answer the latency query");
  gst_query_unref (query);
  return live;
}

static gboolean
gst_googlenet_detect_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstGooglenetDetect *self = GST_GOOGLENET_DETECT (filter);
  GError *err = NULL;
  gboolean async;

  GST_DEBUG_OBJECT (self, "caps %" GST_PTR_FORMAT, incaps);
  /* First, as the worker may be detecting on a frame of the old caps: it
   * reads the pixel format.  Detections from frames of another size would
   * land in the wrong place anyway. */
  gst_googlenet_detect_stop_worker (self);
  self->n_shown = 0;
  self->shown_time = GST_CLOCK_TIME_NONE;

  if (!pixel_format_from_video (GST_VIDEO_INFO_FORMAT (in_info),
          &self->pixel_format))
    goto unsupported;

  gst_googlenet_overlay_free (self->overlay);
  self->overlay = gst_googlenet_overlay_new (in_info);
  if (self->overlay == NULL)
    goto unsupported;

  GST_OBJECT_LOCK (self);
  async = self->async;
  GST_OBJECT_UNLOCK (self);
  if (upstream_is_live (self))
    g_atomic_int_set (&self->upstream_live, TRUE);
  g_atomic_int_set (&self->use_worker, async
      || g_atomic_int_get (&self->upstream_live));
  GST_INFO_OBJECT (self, "detecting %s",
      self->use_worker ? "in a worker thread on the newest frame" :
      "every frame in order");
  if (self->use_worker && !gst_googlenet_detect_start_worker (self, in_info,
          &err))
    goto no_worker;
  return TRUE;

  /* ERRORS */
unsupported:
  {
    GST_ERROR_OBJECT (self, "unsupported caps %" GST_PTR_FORMAT, incaps);
    return FALSE;
  }
no_worker:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not start the detection thread."), ("%s", err->message));
    g_clear_error (&err);
    return FALSE;
  }
}

/* ------------------------------------------------------------------------ */
/* Output: metadata, messages, JSON lines                                   */
/* ------------------------------------------------------------------------ */

/* A box in whole pixels inside the frame. */
static void
box_to_pixels (const GnetBox * box, gint width, gint height, gint * x,
    gint * y, gint * w, gint * h)
{
  gint x0 = CLAMP ((gint) lrintf (box->x0), 0, width);
  gint y0 = CLAMP ((gint) lrintf (box->y0), 0, height);
  gint x1 = CLAMP ((gint) lrintf (box->x1), x0, width);
  gint y1 = CLAMP ((gint) lrintf (box->y1), y0, height);

  *x = x0;
  *y = y0;
  *w = x1 - x0;
  *h = y1 - y0;
}

static gdouble
normalised (gfloat v, gint size)
{
  return CLAMP ((gdouble) v / size, 0.0, 1.0);
}

/* The params structure DL Streamer attaches to a detection ROI, plus the
 * object's objectness and, when there are any, its alternatives: an array
 * of "alternative" structures (label, label_id, confidence), strongest
 * first. */
static GstStructure *
detection_structure (const GnetBox * box, gint width, gint height)
{
  GstStructure *s = gst_structure_new ("detection",
      "label", G_TYPE_STRING, box->label ? box->label : "",
      "label_id", G_TYPE_INT, box->class_id,
      "confidence", G_TYPE_DOUBLE, (gdouble) box->confidence,
      "objectness", G_TYPE_DOUBLE, (gdouble) box->objectness,
      "x_min", G_TYPE_DOUBLE, normalised (box->x0, width),
      "y_min", G_TYPE_DOUBLE, normalised (box->y0, height),
      "x_max", G_TYPE_DOUBLE, normalised (box->x1, width),
      "y_max", G_TYPE_DOUBLE, normalised (box->y1, height), NULL);
  GValue list = G_VALUE_INIT;

  if (box->n_alternatives == 0)
    return s;
  g_value_init (&list, GST_TYPE_ARRAY);
  for (guint i = 0; i < box->n_alternatives; i++) {
    const GnetAlternative *a = &box->alternatives[i];
    GValue v = G_VALUE_INIT;

    g_value_init (&v, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&v, gst_structure_new ("alternative",
            "label", G_TYPE_STRING, a->label ? a->label : "",
            "label_id", G_TYPE_INT, a->class_id,
            "confidence", G_TYPE_DOUBLE, (gdouble) a->confidence, NULL));
    gst_value_array_append_and_take_value (&list, &v);
  }
  gst_structure_take_value (s, "alternatives", &list);
  return s;
}

static void
attach_metas (GstBuffer * buffer, const GnetBox * boxes, guint n_boxes,
    gint width, gint height)
{
  guint i;

  for (i = 0; i < n_boxes; i++) {
    GstVideoRegionOfInterestMeta *meta;
    gint x, y, w, h;

    box_to_pixels (&boxes[i], width, height, &x, &y, &w, &h);
    meta = gst_buffer_add_video_region_of_interest_meta (buffer,
        boxes[i].label ? boxes[i].label : "", x, y, w, h);
    gst_video_region_of_interest_meta_add_param (meta,
        detection_structure (&boxes[i], width, height));
  }
}

static void
post_detections (GstGooglenetDetect * self, GstBuffer * buffer,
    const GnetBox * boxes, guint n_boxes, gint width, gint height)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  GstClockTime pts = GST_BUFFER_PTS (buffer);
  GstStructure *s;
  GValue list = G_VALUE_INIT;
  guint i;

  s = gst_structure_new ("googlenetdetect",
      "timestamp", G_TYPE_UINT64, pts,
      "stream-time", G_TYPE_UINT64,
      gst_segment_to_stream_time (&trans->segment, GST_FORMAT_TIME, pts),
      "running-time", G_TYPE_UINT64,
      gst_segment_to_running_time (&trans->segment, GST_FORMAT_TIME, pts),
      "duration", G_TYPE_UINT64, GST_BUFFER_DURATION (buffer),
      "width", G_TYPE_INT, width, "height", G_TYPE_INT, height, NULL);

  g_value_init (&list, GST_TYPE_ARRAY);
  for (i = 0; i < n_boxes; i++) {
    GValue v = G_VALUE_INIT;
    GstStructure *d = detection_structure (&boxes[i], width, height);
    gint x, y, w, h;

    box_to_pixels (&boxes[i], width, height, &x, &y, &w, &h);
    gst_structure_set (d, "x", G_TYPE_INT, x, "y", G_TYPE_INT, y,
        "w", G_TYPE_INT, w, "h", G_TYPE_INT, h, NULL);
    g_value_init (&v, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&v, d);
    gst_value_array_append_and_take_value (&list, &v);
  }
  gst_structure_take_value (s, "detections", &list);

  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* One line of DL Streamer's gvametaconvert JSON: pixels for x/y/w/h,
 * normalised coordinates in bounding_box, stream time in ns. */
static gboolean
write_results (GstGooglenetDetect * self, GstBuffer * buffer,
    const GnetBox * boxes, guint n_boxes, gint width, gint height)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  GstClockTime pts = GST_BUFFER_PTS (buffer);
  GstClockTime stream_time;
  JsonBuilder *b = json_builder_new_immutable ();
  JsonNode *root;
  gchar *line;
  gsize len;
  guint i;
  gboolean ok;

  stream_time = gst_segment_to_stream_time (&trans->segment, GST_FORMAT_TIME,
      pts);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "timestamp");
  if (GST_CLOCK_TIME_IS_VALID (stream_time))
    json_builder_add_int_value (b, (gint64) stream_time);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "resolution");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, width);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, height);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "objects");
  json_builder_begin_array (b);
  for (i = 0; i < n_boxes; i++) {
    const GnetBox *box = &boxes[i];
    const gchar *label = box->label ? box->label : "";
    gint x, y, w, h;

    box_to_pixels (box, width, height, &x, &y, &w, &h);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "x");
    json_builder_add_int_value (b, x);
    json_builder_set_member_name (b, "y");
    json_builder_add_int_value (b, y);
    json_builder_set_member_name (b, "w");
    json_builder_add_int_value (b, w);
    json_builder_set_member_name (b, "h");
    json_builder_add_int_value (b, h);
    json_builder_set_member_name (b, "roi_type");
    json_builder_add_string_value (b, label);
    json_builder_set_member_name (b, "detection");
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "bounding_box");
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "x_min");
    json_builder_add_double_value (b, normalised (box->x0, width));
    json_builder_set_member_name (b, "y_min");
    json_builder_add_double_value (b, normalised (box->y0, height));
    json_builder_set_member_name (b, "x_max");
    json_builder_add_double_value (b, normalised (box->x1, width));
    json_builder_set_member_name (b, "y_max");
    json_builder_add_double_value (b, normalised (box->y1, height));
    json_builder_end_object (b);
    json_builder_set_member_name (b, "confidence");
    json_builder_add_double_value (b, box->confidence);
    json_builder_set_member_name (b, "label");
    json_builder_add_string_value (b, label);
    json_builder_set_member_name (b, "label_id");
    json_builder_add_int_value (b, box->class_id);
    json_builder_set_member_name (b, "objectness");
    json_builder_add_double_value (b, box->objectness);
    if (box->n_alternatives > 0) {
      json_builder_set_member_name (b, "alternatives");
      json_builder_begin_array (b);
      for (guint k = 0; k < box->n_alternatives; k++) {
        const GnetAlternative *a = &box->alternatives[k];

        json_builder_begin_object (b);
        json_builder_set_member_name (b, "label");
        json_builder_add_string_value (b, a->label ? a->label : "");
        json_builder_set_member_name (b, "label_id");
        json_builder_add_int_value (b, a->class_id);
        json_builder_set_member_name (b, "confidence");
        json_builder_add_double_value (b, a->confidence);
        json_builder_end_object (b);
      }
      json_builder_end_array (b);
    }
    json_builder_end_object (b);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (self->json, root);
  line = json_generator_to_data (self->json, &len);
  json_node_unref (root);
  g_object_unref (b);

  /* Flushed per line, so a reader (or a crash) never sees half a line. */
  ok = fwrite (line, 1, len, self->results) == len
      && fputc ('\n', self->results) != EOF && fflush (self->results) == 0;
  g_free (line);
  return ok;
}

/* ------------------------------------------------------------------------ */
/* Streaming                                                                */
/* ------------------------------------------------------------------------ */

static GstFlowReturn
gst_googlenet_detect_transform_frame_ip (GstVideoFilter * filter,
    GstVideoFrame * frame)
{
  GstGooglenetDetect *self = GST_GOOGLENET_DETECT (filter);
  GstBaseTransform *trans = GST_BASE_TRANSFORM (filter);
  GstBuffer *buffer = frame->buffer;
  gint width = GST_VIDEO_FRAME_WIDTH (frame);
  gint height = GST_VIDEO_FRAME_HEIGHT (frame);
  GstClockTime running_time;
  GstClockTime max_age;
  gboolean draw, message, run;
  gdouble threshold;
  guint interval, n_results, n_visible;
  GError *err = NULL;

  running_time = gst_segment_to_running_time (&trans->segment,
      GST_FORMAT_TIME, GST_BUFFER_PTS (buffer));

  GST_OBJECT_LOCK (self);
  draw = self->draw;
  message = self->message;
  interval = self->inference_interval;
  max_age = self->max_age;
  threshold = self->threshold;
  GST_OBJECT_UNLOCK (self);

  run = self->n_frames % interval == 0;
  self->n_frames++;

  /* Upstream turned out to be live after caps were set. */
  if (!self->use_worker && g_atomic_int_get (&self->upstream_live)) {
    GST_INFO_OBJECT (self, "upstream is live: detecting in a worker thread");
    if (!gst_googlenet_detect_start_worker (self, &filter->in_info, &err))
      goto no_worker;
    g_atomic_int_set (&self->use_worker, TRUE);
  }

  if (self->use_worker) {
    gboolean fresh;

    if (run)
      gst_googlenet_detect_submit (self, frame, running_time);
    if (!gst_googlenet_detect_collect (self, &fresh, &err))
      goto detect_failed;
    /* Once per start: results that are already older than max-age when
     * they come back are never shown, and the user should know why. */
    if (fresh && !self->warned_late && GST_CLOCK_TIME_IS_VALID (running_time)
        && GST_CLOCK_TIME_IS_VALID (self->shown_time)
        && running_time > self->shown_time
        && running_time - self->shown_time > max_age) {
      GST_ELEMENT_WARNING (self, STREAM, FAILED,
          ("Detections arrive too late to be shown."),
          ("detections came back %" GST_TIME_FORMAT " after their frame, "
              "longer than max-age (%" GST_TIME_FORMAT "), so they are "
              "dropped: raise max-age, or make detection cheaper (fewer or "
              "larger windows, a smaller model)", GST_TIME_ARGS (running_time
                  - self->shown_time), GST_TIME_ARGS (max_age)));
      self->warned_late = TRUE;
    }
  } else if (run) {
    gint64 start = g_get_monotonic_time ();

    if (!gst_googlenet_detect_run (self, frame, self->shown, &self->n_shown,
            &err))
      goto detect_failed;
    self->shown_time = running_time;
    GST_OBJECT_LOCK (self);
    self->process_time = (g_get_monotonic_time () - start) * GST_USECOND;
    GST_OBJECT_UNLOCK (self);
  }

  /* Live: detections older than max-age are dropped rather than left
   * hanging on a scene that has moved on. */
  n_results = self->n_shown;
  if (self->use_worker && GST_CLOCK_TIME_IS_VALID (running_time)
      && GST_CLOCK_TIME_IS_VALID (self->shown_time)
      && running_time > self->shown_time
      && running_time - self->shown_time > max_age)
    n_results = 0;
  /* With a lower results-threshold the detector ran at that; the boxes
   * come strongest first, and those at threshold are the ones shown. */
  n_visible = 0;
  while (n_visible < n_results
      && self->shown[n_visible].confidence >= (gfloat) threshold)
    n_visible++;

  GST_LOG_OBJECT (self, "%u detections on frame %" GST_TIME_FORMAT, n_visible,
      GST_TIME_ARGS (GST_BUFFER_PTS (buffer)));

  attach_metas (buffer, self->shown, n_visible, width, height);
  if (message)
    post_detections (self, buffer, self->shown, n_visible, width, height);
  if (self->results && !write_results (self, buffer, self->shown, n_results,
          width, height))
    goto write_failed;
  if (draw)
    gst_googlenet_overlay_draw (self->overlay, frame, self->shown, n_visible);
  return GST_FLOW_OK;

  /* ERRORS */
no_worker:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not start the detection thread."), ("%s", err->message));
    g_clear_error (&err);
    return GST_FLOW_ERROR;
  }
detect_failed:
  {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Object detection failed."), ("%s", err->message));
    g_clear_error (&err);
    return GST_FLOW_ERROR;
  }
write_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("Could not write to results file \"%s\".", self->results_path),
        GST_ERROR_SYSTEM);
    return GST_FLOW_ERROR;
  }
}

static gboolean
gst_googlenet_detect_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstGooglenetDetect *self = GST_GOOGLENET_DETECT (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_STOP:
      /* After a seek, old detections describe another scene. */
      g_mutex_lock (&self->worker_lock);
      self->has_pending = FALSE;
      self->has_result = FALSE;
      self->generation++;
      g_mutex_unlock (&self->worker_lock);
      self->n_shown = 0;
      self->shown_time = GST_CLOCK_TIME_NONE;
      self->n_frames = 0;
      break;
    case GST_EVENT_EOS:
      if (self->results && fflush (self->results) != 0)
        GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
            ("Could not write to results file \"%s\".", self->results_path),
            GST_ERROR_SYSTEM);
      break;
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

/* Offline, a frame leaves only after its detection, so the element adds
 * the time that takes; the worker adds nothing since frames never wait.
 * A live answer also tells the element to use the worker, should the query
 * in set_info have come before upstream knew. */
static gboolean
gst_googlenet_detect_query (GstBaseTransform * trans,
    GstPadDirection direction, GstQuery * query)
{
  GstGooglenetDetect *self = GST_GOOGLENET_DETECT (trans);
  gboolean ret;

  ret = GST_BASE_TRANSFORM_CLASS (parent_class)->query (trans, direction,
      query);
  if (ret && direction == GST_PAD_SRC
      && GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gboolean live;
    GstClockTime min, max, ours;

    gst_query_parse_latency (query, &live, &min, &max);
    if (live)
      g_atomic_int_set (&self->upstream_live, TRUE);
    if (live || g_atomic_int_get (&self->use_worker))
      return ret;

    GST_OBJECT_LOCK (self);
    ours = self->process_time;
    GST_OBJECT_UNLOCK (self);
    min += ours;
    if (GST_CLOCK_TIME_IS_VALID (max))
      max += ours;
    GST_DEBUG_OBJECT (self, "adding %" GST_TIME_FORMAT " latency",
        GST_TIME_ARGS (ours));
    gst_query_set_latency (query, live, min, max);
  }
  return ret;
}
