/* gnet.h - the whole public API of libgnet.
 *
 * libgnet loads ONNX convolutional networks (GoogLeNet in both its Caffe and
 * torchvision layouts), runs them on OpenBLAS, and turns video frames into
 * detections with a sliding-window classifier.  Data flows one way:
 *
 *   bytes -> GnetModel -> GnetSession (plan once per shape, run many times)
 *         -> GnetDetector (pyramid, windows, NMS, CAM) -> GnetBox[]
 *
 * Conventions: callers own what they create (`_new`/`_load` pairs with
 * `_free`/`_unref`; every free function accepts NULL).  Everything a user can
 * get wrong (files, attributes, shapes, settings) returns FALSE/NULL and sets
 * a GError in the GNET_ERROR domain whose message names the file, the node
 * and the reason.  Nothing in the library aborts or exits on bad input.
 */
#ifndef GNET_H
#define GNET_H

#include <glib.h>

G_BEGIN_DECLS

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

#define GNET_ERROR (gnet_error_quark ())
GQuark gnet_error_quark (void);

typedef enum
{
  GNET_ERROR_IO,                /* file missing or unreadable */
  GNET_ERROR_PARSE,             /* bytes are not a valid ONNX/npy/pb file */
  GNET_ERROR_UNSUPPORTED_OP,    /* operator (or domain/opset) not implemented */
  GNET_ERROR_UNSUPPORTED,       /* valid ONNX we do not handle (dtype, rank) */
  GNET_ERROR_ATTRIBUTE,         /* attribute missing, of wrong type or value */
  GNET_ERROR_GRAPH,             /* dangling/duplicate names, cycles, counts */
  GNET_ERROR_SHAPE,             /* shapes that do not fit together */
  GNET_ERROR_INPUT,             /* wrong input count, rank, shape or dtype */
  GNET_ERROR_SETTINGS,          /* bad detector settings or labels file */
  GNET_ERROR_COUNT
} GnetError;

/* ------------------------------------------------------------------------ */
/* Tensors                                                                  */
/* ------------------------------------------------------------------------ */

#define GNET_MAX_DIMS 8

typedef enum
{
  GNET_DTYPE_FLOAT32,
  GNET_DTYPE_INT64,
  GNET_DTYPE_BOOL,              /* one byte per element, 0 or 1 */
  GNET_DTYPE_COUNT
} GnetDType;

/* A plain, dense, row-major tensor.  Who owns `data` is said by the function
 * that hands the tensor out. */
typedef struct
{
  GnetDType dtype;
  guint ndim;
  gint64 dims[GNET_MAX_DIMS];
  gpointer data;
} GnetTensor;

gsize gnet_dtype_size (GnetDType dtype);
const gchar *gnet_dtype_name (GnetDType dtype);
/* Number of elements (1 for a scalar with ndim 0). */
gint64 gnet_tensor_numel (const GnetTensor * tensor);
/* "1x3x224x224"; returns a newly allocated string. */
gchar *gnet_dims_to_string (const gint64 * dims, guint ndim);

/* Read a `.npy` (float32/int64/bool, C order) or an ONNX TensorProto `.pb`
 * file (chosen by content).  `out->data` is allocated; release it with
 * gnet_tensor_clear(). */
gboolean gnet_tensor_load_file (const gchar * path, GnetTensor * out,
    GError ** error);
gboolean gnet_tensor_load_bytes (const guint8 * bytes, gsize size,
    const gchar * name, GnetTensor * out, GError ** error);
gboolean gnet_tensor_save_npy (const GnetTensor * tensor, const gchar * path,
    GError ** error);
/* Frees data and zeroes the struct; accepts NULL. */
void gnet_tensor_clear (GnetTensor * tensor);

/* ------------------------------------------------------------------------ */
/* Models                                                                   */
/* ------------------------------------------------------------------------ */

/* A loaded ONNX graph with its weights, read-only once loaded, so one model
 * can serve any number of sessions in any number of threads.  Reference
 * counted: loads return one reference. */
typedef struct _GnetModel GnetModel;

/* Hostile files fail with a GError, not a crash or a huge allocation: at
 * most 2^34 elements per tensor and 16384 nodes per graph. */
GnetModel *gnet_model_load_file (const gchar * path, GError ** error);
/* `name` is used in error messages (a file name, say). */
GnetModel *gnet_model_load_bytes (const guint8 * bytes, gsize size,
    const gchar * name, GError ** error);
GnetModel *gnet_model_ref (GnetModel * model);
void gnet_model_unref (GnetModel * model);

const gchar *gnet_model_get_name (const GnetModel * model);

/* Graph inputs that are not initializers, and graph outputs, in graph order.
 * Shapes as declared: -1 for a symbolic or unknown dimension. */
guint gnet_model_get_n_inputs (const GnetModel * model);
guint gnet_model_get_n_outputs (const GnetModel * model);
/* Fills name, dtype, ndim and dims (data NULL); FALSE if index is out of
 * range. */
gboolean gnet_model_get_input (const GnetModel * model, guint index,
    const gchar ** name, GnetTensor * info);
gboolean gnet_model_get_output (const GnetModel * model, guint index,
    const gchar ** name, GnetTensor * info);

/* Nodes that run (after load-time folding), their operator types, and the
 * number of weight parameters (float elements in initializers). */
guint gnet_model_get_n_nodes (const GnetModel * model);
const gchar *gnet_model_get_node_op (const GnetModel * model, guint index);
const gchar *gnet_model_get_node_name (const GnetModel * model, guint index);
guint64 gnet_model_get_n_params (const GnetModel * model);
gint64 gnet_model_get_opset (const GnetModel * model);

/* ONNX metadata_props.  Keys the detector reads are documented below
 * (GNET_META_*).  Returns NULL when absent. */
const gchar *gnet_model_get_metadata (const GnetModel * model,
    const gchar * key);
/* NULL-terminated, owned by the model, in file order. */
const gchar *const *gnet_model_get_metadata_keys (const GnetModel * model);

/* ------------------------------------------------------------------------ */
/* Sessions                                                                 */
/* ------------------------------------------------------------------------ */

/* A session owns all working memory for one model at one set of input
 * shapes.  The first run (or a run with different input shapes) plans: shape
 * inference for every node and one arena for all intermediate tensors.
 * Later runs with the same shapes allocate nothing.  A session is used by
 * one thread at a time. */
typedef struct _GnetSession GnetSession;

/* n_threads <= 0 means all cores. */
GnetSession *gnet_session_new (GnetModel * model, gint n_threads,
    GError ** error);
/* Like gnet_session_new() but the session's outputs are the named values
 * (any tensor in the graph, e.g. the last feature map); only the nodes they
 * need are run. */
GnetSession *gnet_session_new_with_outputs (GnetModel * model,
    const gchar * const *output_names, gint n_threads, GError ** error);
void gnet_session_free (GnetSession * session);

/* Plans for the given input shapes without running (optional: run plans on
 * demand).  For int64 inputs that feed shape computations (Reshape's shape),
 * `inputs[i].data` must be set; for float inputs only dims are read.  A plan
 * needing more than 4 GiB of working memory fails (GNET_ERROR_UNSUPPORTED);
 * the environment variable GNET_MAX_ARENA_MB sets another limit. */
gboolean gnet_session_plan (GnetSession * session, const GnetTensor * inputs,
    guint n_inputs, GError ** error);
/* Runs the graph.  Inputs in graph-input order.  Re-plans if a shape
 * changed.  Output tensors point into the session and stay valid until the
 * next run or plan. */
gboolean gnet_session_run (GnetSession * session, const GnetTensor * inputs,
    guint n_inputs, GError ** error);
guint gnet_session_get_n_outputs (const GnetSession * session);
const GnetTensor *gnet_session_get_output (const GnetSession * session,
    guint index);
const gchar *gnet_session_get_output_name (const GnetSession * session,
    guint index);
/* Multiply-accumulates of one run at the planned shapes. */
guint64 gnet_session_get_macs (const GnetSession * session);
/* Bytes of the planned arena + scratch (working memory). */
gsize gnet_session_get_arena_size (const GnetSession * session);
/* How many times this session has planned (tests use it to prove that runs
 * at the same shape do not re-plan). */
guint gnet_session_get_n_plans (const GnetSession * session);
gint gnet_session_get_n_threads (const GnetSession * session);

/* ------------------------------------------------------------------------ */
/* Images                                                                   */
/* ------------------------------------------------------------------------ */

typedef enum
{
  GNET_PIXEL_FORMAT_RGB,
  GNET_PIXEL_FORMAT_BGR,
  GNET_PIXEL_FORMAT_RGBA,
  GNET_PIXEL_FORMAT_BGRA,
  GNET_PIXEL_FORMAT_ARGB,
  GNET_PIXEL_FORMAT_ABGR,
  GNET_PIXEL_FORMAT_RGBX,
  GNET_PIXEL_FORMAT_BGRX,
  GNET_PIXEL_FORMAT_XRGB,
  GNET_PIXEL_FORMAT_XBGR,
  GNET_PIXEL_FORMAT_I420,
  GNET_PIXEL_FORMAT_NV12,
  GNET_PIXEL_FORMAT_COUNT
} GnetPixelFormat;

/* A stride-aware view of a frame the caller owns.  Packed formats use
 * plane 0 only; I420 uses Y, U, V; NV12 uses Y, UV. */
typedef struct
{
  GnetPixelFormat format;
  gint width;
  gint height;
  guint8 *planes[3];
  gint strides[3];
} GnetImage;

/* ------------------------------------------------------------------------ */
/* Detector                                                                 */
/* ------------------------------------------------------------------------ */

/* metadata_props keys the detector reads (all optional except that a model
 * without labels gets "class <n>"):
 *   labels            one label per line, in output order
 *   mean, std         three comma-separated floats per channel, in the
 *                     model's channel order, in units of input_range
 *   color_order       "RGB" or "BGR"
 *   input_range       "0,1" or "0,255": what 0..255 pixels map to first
 *   background_class  index of the background class, or -1 for none
 *   input_size        "H,W" the classifier's window input (else the graph's)
 *   windows           recommended window sizes in pixels, "96,160,256"
 */
#define GNET_META_LABELS "labels"
#define GNET_META_MEAN "mean"
#define GNET_META_STD "std"
#define GNET_META_COLOR_ORDER "color_order"
#define GNET_META_INPUT_RANGE "input_range"
#define GNET_META_BACKGROUND_CLASS "background_class"
#define GNET_META_INPUT_SIZE "input_size"
#define GNET_META_WINDOWS "windows"

#define GNET_MAX_WINDOWS 16

typedef enum
{
  GNET_DETECT_MODE_DENSE,       /* one fully convolutional pass per level */
  GNET_DETECT_MODE_CROPS,       /* windows resized and classified in batches */
  GNET_DETECT_MODE_COUNT
} GnetDetectMode;

typedef enum
{
  /* The model's box: the window, or, for a model with a box regressor
   * (a second output computed by a Gemm of 4 rows from the last feature
   * map flattened, giving x0, y0, x1, y1 in units of the window), the
   * regressed box. */
  GNET_REFINE_NONE,
  GNET_REFINE_CAM,              /* tighten to the class activation map */
  GNET_REFINE_COUNT
} GnetRefine;

typedef enum
{
  GNET_COLOR_ORDER_MODEL,       /* whatever the model's metadata says */
  GNET_COLOR_ORDER_RGB,
  GNET_COLOR_ORDER_BGR,
  GNET_COLOR_ORDER_COUNT
} GnetColorOrder;

typedef struct
{
  GnetDetectMode mode;
  GnetRefine refine;
  /* Window sizes in frame pixels; n_windows 0 means the model's
   * recommendation (metadata "windows"), else the model input size. */
  gint windows[GNET_MAX_WINDOWS];
  guint n_windows;
  gfloat stride;                /* fraction of the window, (0, 1] */
  gfloat threshold;             /* minimum class probability */
  gfloat iou_threshold;         /* per-class NMS overlap */
  /* Overlap above which a weaker box of another class becomes an
   * alternative of the stronger one (one object, one box); 1: never, every
   * class read on an item is an object of its own. */
  gfloat group_iou;
  guint max_detections;
  /* Video: each object's class probabilities become smoothing x those of
   * the object it continues from the previous frame (the one it overlaps
   * most) + (1 - smoothing) x its own; [0, 1), 0: every frame on its own.
   * Successive calls of gnet_detector_process() are taken for successive
   * frames of one video (see gnet_detector_reset()). */
  gfloat smoothing;
  gint n_threads;               /* <= 0: all cores */
  /* Pre-processing overrides; NULL / has_* FALSE means "from the model". */
  const gchar *labels_file;     /* one label per line */
  gboolean has_mean;
  gfloat mean[3];
  gboolean has_std;
  gfloat std[3];
  GnetColorOrder color_order;
  /* Comma-separated labels to keep; NULL or "" keeps all. */
  const gchar *classes;
} GnetDetectorParams;

/* Most other classes one detected object carries (GnetBox.alternatives). */
#define GNET_MAX_ALTERNATIVES 3

/* Another class the object of a GnetBox may be, with its own probability. */
typedef struct
{
  gint class_id;
  gfloat confidence;
  const gchar *label;
} GnetAlternative;

/* A detection in frame pixels; x1/y1 exclusive.  `label` is owned by the
 * detector and lives as long as it does.
 *
 * `objectness` is how likely the box holds an object of any class: its
 * confidence plus its alternatives' (at most 1), each class's probability
 * from the window that saw that class best.  It ranks objects when their
 * class does not matter (class-agnostic AP): an item the network
 * hesitates over (shirt 0.45, T-shirt 0.40) is still plainly an object
 * (0.85).  Without alternatives it equals `confidence`.
 *
 * `alternatives`: the other classes the detector found on the same object
 * (a box of another class overlapping this one by more than the group
 * IoU, 0.8 by default, weaker),
 * strongest first, each with its own probability; at most
 * GNET_MAX_ALTERNATIVES, all under `confidence`. */
typedef struct
{
  gfloat x0;
  gfloat y0;
  gfloat x1;
  gfloat y1;
  gfloat confidence;
  gint class_id;
  const gchar *label;
  gfloat objectness;
  guint n_alternatives;
  GnetAlternative alternatives[GNET_MAX_ALTERNATIVES];
} GnetBox;

typedef struct _GnetDetector GnetDetector;

/* Defaults: dense, refine none, windows from the model, stride 0.25,
 * threshold 0.5, iou 0.1, group iou 0.8, max 100, smoothing 0 (the
 * element's default is 0.8), all cores, no overrides. */
void gnet_detector_params_init (GnetDetectorParams * params);

/* Checks the model can be used as a sliding-window classifier (one 4-D
 * float input, class scores out as the first output, labels matching the
 * class count) and prepares both strategies. */
GnetDetector *gnet_detector_new (GnetModel * model,
    const GnetDetectorParams * params, GError ** error);
void gnet_detector_free (GnetDetector * detector);

/* Settings that may change between frames. */
void gnet_detector_set_threshold (GnetDetector * detector, gfloat threshold);
gboolean gnet_detector_set_classes (GnetDetector * detector,
    const gchar * classes, GError ** error);
void gnet_detector_set_smoothing (GnetDetector * detector, gfloat smoothing);
/* Forgets the previous frames (for smoothing): call it when the video
 * jumps (a seek, another source).  A new frame size or classes filter
 * does it too. */
void gnet_detector_reset (GnetDetector * detector);

guint gnet_detector_get_n_classes (const GnetDetector * detector);
const gchar *gnet_detector_get_label (const GnetDetector * detector,
    guint class_id);
gint gnet_detector_get_background_class (const GnetDetector * detector);
/* Smallest window in pixels: frames smaller than it give no detections. */
gint gnet_detector_get_min_window (const GnetDetector * detector);

/* Detects objects in one frame.  Returns the boxes (owned by the detector,
 * valid until the next call), strongest first, and their count in
 * *n_boxes: one box per object, with the other classes read on it as its
 * alternatives.  Working memory is planned for the first frame of a size and
 * reused after.  FALSE only for an unusable image (unknown format, NULL
 * plane). */
gboolean gnet_detector_process (GnetDetector * detector,
    const GnetImage * image, const GnetBox ** boxes, guint * n_boxes,
    GError ** error);

/* MACs the last frame cost, and what the other strategy would cost for the
 * same frame (to report what dense evaluation saves). */
guint64 gnet_detector_get_last_macs (const GnetDetector * detector);
/* What classifying the last frame's windows one by one costs (windows x
 * MACs of one window), whichever strategy ran: equal to get_last_macs in
 * crops mode; in dense mode, the difference is what dense saves. */
guint64 gnet_detector_get_last_crops_macs (const GnetDetector * detector);

/* Non-maximum suppression, per class, in place: sorts by confidence and
 * keeps at most max_keep boxes; returns how many are kept. */
guint gnet_nms (GnetBox * boxes, guint n_boxes, gfloat iou_threshold,
    guint max_keep);
gfloat gnet_box_iou (const GnetBox * a, const GnetBox * b);

/* The comma-separated settings that model metadata and element properties
 * share.  "0.485, 0.456, 0.406" -> exactly n finite floats; "96,160,256" ->
 * 1 to max sizes in pixels, each in 1..8192.  FALSE on anything else. */
gboolean gnet_parse_floats (const gchar * text, gfloat * out, guint n);
gboolean gnet_parse_sizes (const gchar * text, gint * out, guint max,
    guint * n);

/* Reads a labels file: one label per line, blank lines at the end ignored;
 * "n01440764 tench, Tinca tinca" lines (ImageNet synset.txt) keep their
 * text after the first space.  NULL-terminated; free with g_strfreev. */
gchar **gnet_labels_load_file (const gchar * path, GError ** error);

G_END_DECLS
#endif /* GNET_H */
