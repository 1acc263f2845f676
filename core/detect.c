/* detect.c - a sliding-window detector on top of any image classifier.
 *
 * Window sizes (in frame pixels) make an image pyramid: for window w the
 * frame is resampled by input_size / w, so every window of that level is
 * exactly one model input.  Windows step by `stride` of the window.
 *
 * Two strategies score the windows of a level:
 *  - crops: the windows are cut out of the level and classified in batches
 *    (one batch per level when it fits, else batches of up to 64, fewer
 *    for models whose working memory per window is large);
 *  - dense: when the classifier ends in average pooling to 1x1, flatten and
 *    a Gemm (torchvision's GlobalAveragePool -> Flatten -> Gemm or Caffe's
 *    AveragePool(7x7) -> Reshape -> Gemm), the level goes through the
 *    network once up to the last feature map F; a stride-1 window average
 *    of F and the Gemm applied as a 1x1 convolution then score every window
 *    position in one pass (OverFeat, Sermanet et al. 2014).
 * In both, the head (average, Gemm, softmax) is computed here from F, so
 * both give the same probabilities and the class activation map is at hand.
 *
 * Window positions: one cell of the feature map F is the network stride S
 * level pixels (measured by how F grows between the input size and twice
 * it; 32 for GoogLeNet, 16 for the default model), so dense can only place
 * windows on a grid of S level pixels.  The requested stride is
 * therefore rounded to a multiple of S: step = max(1, round(stride * input
 * / S)) * S level pixels, in both strategies, so crops and dense evaluate
 * the very same windows.  (64x64 input, S 16, stride 0.25: exactly 16.)
 * Without a recognised head only crops is possible and the step is
 * round(stride * input) level pixels.  Windows lie fully inside the level;
 * the last row/column may leave less than a step uncovered.
 *
 * Class probabilities: softmax of the head's output (a model that exports
 * logits gets a softmax here; one that ends in Softmax is not normalised
 * twice).  A window gives a box for each of its (at most three) best
 * classes among the kept, non-background ones that reaches the threshold:
 * at the default 0.5 that is the best class alone, at a lower threshold
 * the runner-ups get boxes too, with their own, lower confidence.
 *
 * The box: the window itself, unless the model has a box regressor (a
 * second output computed by a Gemm straight from F flattened, giving the
 * object's x0, y0, x1, y1 in units of the window, as OverFeat's regression
 * network does); then the regressed box, computed here from the window's
 * cells of F, so dense and crops share it too.  With refine=cam the box is
 * tightened to the class activation map's region (cam.c; with a background
 * class, the map of the class's weights minus the background's), inside
 * the regressed box when there is one.  Then clipping to the frame and
 * per-class NMS; with a box regressor, each kept box becomes the
 * confidence-weighted mean of the boxes (any class) that overlap it by
 * more than 0.3 (box voting).  Finally the kept boxes become objects: a
 * box of another class overlapping a stronger one by more than the group
 * IoU (0.8 unless set) reads the same item as that class, and is listed
 * as the stronger box's alternative rather than returned as a second
 * object (so the video shows one label per item, and a class-agnostic
 * count sees each item once); then max-detections, strongest first.  An
 * object's objectness is the sum of its classes' probabilities, each from
 * its best window.
 *
 * Pre-processing comes from the model's metadata (keys in gnet.h): labels,
 * mean, std, color_order, input_range, background_class, input_size,
 * windows; the parameters' labels file, mean, std and colour order win.
 * Without metadata: labels "class <n>", no background class, RGB, 0..1,
 * mean 0, std 1, the graph's input size (224 if it is symbolic), one
 * window of the input size.  The ONNX Model Zoo googlenet-12 (Caffe's
 * bvlc_googlenet: BGR, 0..255 minus the mean 104/117/123) thus needs
 * labels-file=synset.txt color-order=bgr mean="0.408,0.459,0.482"
 * std="0.003922,0.003922,0.003922" (mean and std in units of the 0..1
 * range), and as it has no background class, a `classes` filter or a
 * higher threshold to keep what matters.
 *
 * Threads: with two, dense mode runs the pyramid levels on two lanes at
 * once (the largest level on one, the others on the other, split where
 * their MACs balance best); splitting every layer between two threads
 * instead left them waiting on each other at each small layer (the
 * element ran the sample at 36 fps that way, 73 with lanes).  The lanes
 * rarely balance (the largest level is about two thirds of the MACs), so
 * the busier lane splits its layers in two parts and the other lane's
 * thread, done with its own levels, helps with them.  Otherwise, and in
 * crops mode, levels run one after another and each layer is split
 * between the threads.
 *
 * Memory: everything that depends on the frame size (levels, sessions'
 * plans, buffers) is set up on the first frame of a size; later frames of
 * that size allocate nothing.
 */
#include "gnet-private.h"
#include "detect-private.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_STRIDE 0.25f
#define DEFAULT_THRESHOLD 0.5f
/* Per-class NMS overlap.  The regressed boxes of windows that see only
 * part of an item scatter around it, overlapping the item's best box by
 * little: on 8 generated scenes (samples/eval/heldout.sh) dense mAP went
 * 0.795 -> 0.814 from 0.3 to 0.1, 0.827 at 0 (precision at threshold 0.5
 * 0.66 -> 0.74 -> 0.78, recall 0.80 throughout).  Those scenes never have
 * two items of a class touching; 0.1 still keeps such a pair. */
#define DEFAULT_IOU 0.1f
#define DEFAULT_MAX_DETECTIONS 100
#define MAX_WINDOW 8192
#define DEFAULT_INPUT_SIZE 224
/* A window much smaller than the model input upscales the frame; past this
 * the level's buffers and the network's feature maps would not fit. */
#define MAX_LEVEL_PIXELS (1 << 25)
/* Windows per crops batch: enough for SGEMM to run at full speed, and few
 * enough that a batch's working memory stays under BATCH_BYTES (a
 * full-size GoogLeNet needs tens of MB per 224x224 window). */
#define BATCH_MAX 64
#define BATCH_BYTES (256u << 20)
#define CAM_THRESHOLD 0.2f
/* Boxes that overlap a kept box by more than this vote on its place.  On
 * the 8 held-out scenes (dense, NMS at 0.1) mAP / class-agnostic AP were
 * 0.801 / 0.889 at 0.1, 0.821 / 0.912 at 0.2, 0.822 / 0.918 at 0.3,
 * 0.814 / 0.913 at 0.5 and 0.806 / 0.907 at 0.7. */
#define VOTE_IOU 0.3f

/* A box of another class that overlaps a stronger one by more than this
 * reads the same object as that class: it becomes one of the stronger
 * box's alternatives (gnet.h) instead of a second object.  On the 8
 * held-out scenes (dense, results down to 0.05) mAP / class-agnostic AP
 * were 0.814 / 0.923 at 0.3, 0.817 / 0.934 at 0.5, 0.821 / 0.952 at 0.7,
 * 0.821 / 0.955 at 0.8, 0.821 / 0.952 at 0.9 and 0.822 / 0.918 at 1 (no
 * grouping; class-agnostic AP then ranks every class's box by its own
 * confidence).  Lower, items of other classes close by are taken for one;
 * the boxes of one window's classes overlap by nearly 1 after voting. */
#define DEFAULT_GROUP_IOU 0.8f

/* Most classes a window gives boxes for (consider()). */
#define CLASSES_PER_WINDOW 3

typedef struct
{
  gint window;                  /* frame pixels */
  GnetSession *session;         /* dense: the level; crops: full batches */
  GnetSession *rest;            /* crops: the last, smaller batch */

  /* For the current frame size. */
  gboolean active;
  gint lw, lh;                  /* level size */
  gdouble sx, sy;               /* frame pixels per level pixel */
  gint nx, ny;                  /* window positions */
  gint batch;                   /* crops: windows per full batch */
  GnetResampleAxis ax, ay;
} Level;

/* The levels of a frame run on one lane, or on two at once: with two
 * threads, running the levels side by side beats splitting every layer
 * between the threads, whose small layers leave a thread waiting.  A lane
 * owns the working memory of the levels it runs. */
#define MAX_LANES 2

typedef struct
{
  guint first_level, end_level; /* levels first .. end - 1 */
  guint parts;                  /* its layers and resampling split in */
  gfloat *scratch;              /* resampling */
  gfloat *pixels;               /* one level, planar */
  gfloat *rowsum;               /* dense: horizontal window sums */
  gfloat *pooled;               /* C x positions */
  gfloat *scores;               /* n_classes x positions */
  gfloat *cam_w;                /* C: one class's CAM weights */
  GnetCam cam;
  GnetBox *boxes;
  guint n_boxes;
  gsize box_capacity;
  guint64 macs;
  GError *error;
} Lane;

struct _GnetDetector
{
  GnetModel *model;
  GnetDetectMode mode;
  GnetRefine refine;
  gfloat threshold;
  gfloat iou_threshold;
  gfloat group_iou;
  guint max_detections;
  gfloat smoothing;             /* track.c */
  GnetTrack track;
  gint n_threads;
  guint n_parts;                /* pre-processing: one per thread */

  gint in_h, in_w;              /* model input */
  guint n_classes;
  gchar **labels;
  gint background;
  gboolean *keep;               /* classes filter */
  GnetNormalize norm;

  /* The head, when recognised: F -> average over cells x cells -> Gemm. */
  gboolean has_head;
  gchar *feature;               /* name of F */
  gint channels;                /* C */
  gint cells_h, cells_w;        /* F's size at the model input size */
  gint net_stride;              /* S */
  gfloat *head_w;               /* n_classes x C, alpha folded in */
  gfloat *head_b;               /* n_classes, beta folded in */
  gint feature_value;           /* F's value in the model */
  /* Box regressor, when the model has one: 4 x (C x cells), alpha folded
   * in; outputs in units of the model input. */
  gfloat *box_w;
  gfloat box_b[4];
  gboolean output_is_prob;      /* no head: model output is a softmax */
  guint max_batch;              /* crops: windows per run */
  gint step_x, step_y;          /* level pixels between windows */
  guint64 window_macs;          /* one window through the classifier */

  Level levels[GNET_MAX_WINDOWS];
  guint n_levels;

  /* For the current frame size. */
  gint frame_w, frame_h;
  gfloat *frame;                /* the frame decoded, planar RGB */
  gfloat *batch;                /* crops input */
  Lane lanes[MAX_LANES];
  guint n_lanes;
  GnetBox *boxes;               /* lanes[0].boxes: all boxes in the end */
  GnetBox *candidates;          /* the boxes before NMS, for voting */
  guint n_boxes;
  guint64 last_macs;
};

/* ------------------------------------------------------------------------ */
/* Parameters                                                               */
/* ------------------------------------------------------------------------ */

void
gnet_detector_params_init (GnetDetectorParams * params)
{
  g_return_if_fail (params != NULL);

  memset (params, 0, sizeof (*params));
  params->mode = GNET_DETECT_MODE_DENSE;
  params->refine = GNET_REFINE_NONE;
  params->stride = DEFAULT_STRIDE;
  params->threshold = DEFAULT_THRESHOLD;
  params->iou_threshold = DEFAULT_IOU;
  params->group_iou = DEFAULT_GROUP_IOU;
  params->max_detections = DEFAULT_MAX_DETECTIONS;
  params->n_threads = 0;
  params->color_order = GNET_COLOR_ORDER_MODEL;
}

static gboolean
check_params (const GnetDetectorParams * p, GError ** error)
{
  const gchar *bad = NULL;

  if ((guint) p->mode >= GNET_DETECT_MODE_COUNT)
    bad = "unknown mode";
  else if ((guint) p->refine >= GNET_REFINE_COUNT)
    bad = "unknown refine";
  else if ((guint) p->color_order >= GNET_COLOR_ORDER_COUNT)
    bad = "unknown color order";
  else if (p->n_windows > GNET_MAX_WINDOWS)
    bad = "too many windows (at most " G_STRINGIFY (GNET_MAX_WINDOWS) ")";
  else if (!(p->stride > 0.0f && p->stride <= 1.0f))
    bad = "stride must be in (0, 1]";
  else if (!(p->threshold >= 0.0f && p->threshold <= 1.0f))
    bad = "threshold must be in [0, 1]";
  else if (!(p->iou_threshold >= 0.0f && p->iou_threshold <= 1.0f))
    bad = "iou threshold must be in [0, 1]";
  else if (!(p->group_iou >= 0.0f && p->group_iou <= 1.0f))
    bad = "group iou must be in [0, 1]";
  else if (p->max_detections < 1)
    bad = "max detections must be at least 1";
  else if (!(p->smoothing >= 0.0f && p->smoothing < 1.0f))
    bad = "smoothing must be in [0, 1)";
  if (bad) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_SETTINGS, "detector: %s", bad);
    return FALSE;
  }
  for (guint i = 0; i < p->n_windows; i++)
    if (p->windows[i] <= 0 || p->windows[i] > MAX_WINDOW) {
      g_set_error (error, GNET_ERROR, GNET_ERROR_SETTINGS,
          "detector: window %d must be in 1..%d pixels", p->windows[i],
          MAX_WINDOW);
      return FALSE;
    }
  for (guint c = 0; c < 3; c++)
    if (p->has_std && !(fabsf (p->std[c]) > 0.0f && isfinite (p->std[c]))) {
      g_set_error (error, GNET_ERROR, GNET_ERROR_SETTINGS,
          "detector: std must be non-zero, got %g for channel %u",
          p->std[c], c);
      return FALSE;
    }
  return TRUE;
}

gboolean
gnet_parse_floats (const gchar * text, gfloat * out, guint n)
{
  gchar **parts;
  gboolean ok;

  g_return_val_if_fail (text != NULL && out != NULL, FALSE);
  parts = g_strsplit (text, ",", -1);
  ok = g_strv_length (parts) == n;

  for (guint i = 0; ok && i < n; i++) {
    gchar *end;
    gdouble v = g_ascii_strtod (g_strstrip (parts[i]), &end);

    ok = end != parts[i] && *end == '\0' && isfinite (v);
    out[i] = v;
  }
  g_strfreev (parts);
  return ok;
}

gboolean
gnet_parse_sizes (const gchar * text, gint * out, guint max, guint * n)
{
  gchar **parts = g_strsplit (text, ",", -1);
  gboolean ok = TRUE;

  *n = 0;
  for (guint i = 0; ok && parts[i]; i++) {
    gchar *end;
    gint64 v = g_ascii_strtoll (g_strstrip (parts[i]), &end, 10);

    ok = end != parts[i] && *end == '\0' && v > 0 && v <= MAX_WINDOW
        && *n < max;
    if (ok)
      out[(*n)++] = v;
  }
  g_strfreev (parts);
  return ok && *n > 0;
}

static gboolean
meta_error (GnetDetector * d, const gchar * key, const gchar * value,
    const gchar * expected, GError ** error)
{
  g_set_error (error, GNET_ERROR, GNET_ERROR_SETTINGS,
      "%s: metadata %s '%s' is not %s", gnet_model_get_name (d->model), key,
      value, expected);
  return FALSE;
}

/* Mean, std, colour order and value range, metadata then overrides. */
static gboolean
setup_normalize (GnetDetector * d, const GnetDetectorParams * p,
    GError ** error)
{
  const gchar *v;
  gfloat mean[3] = { 0, 0, 0 }, std[3] = { 1, 1, 1 }, range[2] = { 0, 1 };
  gboolean bgr = FALSE;

  if ((v = gnet_model_get_metadata (d->model, GNET_META_MEAN))
      && !gnet_parse_floats (v, mean, 3))
    return meta_error (d, GNET_META_MEAN, v, "three numbers", error);
  if ((v = gnet_model_get_metadata (d->model, GNET_META_STD))
      && !gnet_parse_floats (v, std, 3))
    return meta_error (d, GNET_META_STD, v, "three numbers", error);
  if ((v = gnet_model_get_metadata (d->model, GNET_META_INPUT_RANGE))
      && (!gnet_parse_floats (v, range, 2) || range[0] == range[1]))
    return meta_error (d, GNET_META_INPUT_RANGE, v, "\"0,1\" or \"0,255\"",
        error);
  if ((v = gnet_model_get_metadata (d->model, GNET_META_COLOR_ORDER))) {
    if (g_ascii_strcasecmp (v, "BGR") == 0)
      bgr = TRUE;
    else if (g_ascii_strcasecmp (v, "RGB") != 0)
      return meta_error (d, GNET_META_COLOR_ORDER, v, "RGB or BGR", error);
  }
  if (p->has_mean)
    memcpy (mean, p->mean, sizeof (mean));
  if (p->has_std)
    memcpy (std, p->std, sizeof (std));
  if (p->color_order != GNET_COLOR_ORDER_MODEL)
    bgr = p->color_order == GNET_COLOR_ORDER_BGR;

  for (guint c = 0; c < 3; c++) {
    if (!(fabsf (std[c]) > 0.0f))
      return meta_error (d, GNET_META_STD, gnet_model_get_metadata (d->model,
              GNET_META_STD), "three non-zero numbers", error);
    /* pixel 0..255 -> range[0]..range[1] -> (x - mean) / std */
    d->norm.scale[c] = (range[1] - range[0]) / 255.0f / std[c];
    d->norm.offset[c] = (range[0] - mean[c]) / std[c];
  }
  d->norm.bgr = bgr;
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* The model: input, head, classes                                          */
/* ------------------------------------------------------------------------ */

static gboolean
setup_input (GnetDetector * d, GError ** error)
{
  GnetTensor info;
  const gchar *name, *v;

  if (gnet_model_get_n_inputs (d->model) != 1
      || !gnet_model_get_input (d->model, 0, &name, &info)
      || info.ndim != 4 || info.dtype != GNET_DTYPE_FLOAT32
      || (info.dims[1] != 3 && info.dims[1] >= 0)) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
        "%s: a detector needs one float input of shape Nx3xHxW",
        gnet_model_get_name (d->model));
    return FALSE;
  }
  if (info.dims[2] > MAX_WINDOW || info.dims[3] > MAX_WINDOW) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_SETTINGS,
        "%s: input size %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT " is larger "
        "than %d", gnet_model_get_name (d->model), info.dims[2],
        info.dims[3], MAX_WINDOW);
    return FALSE;
  }
  /* Negative (symbolic) stays negative: the default below. */
  d->in_h = (gint) info.dims[2];
  d->in_w = (gint) info.dims[3];
  if ((v = gnet_model_get_metadata (d->model, GNET_META_INPUT_SIZE))) {
    gint hw[2];
    guint n;

    if (!gnet_parse_sizes (v, hw, 2, &n))
      return meta_error (d, GNET_META_INPUT_SIZE, v, "\"H,W\"", error);
    d->in_h = hw[0];
    d->in_w = n == 2 ? hw[1] : hw[0];
  }
  /* Symbolic H and W (torchvision exports with dynamic axes) and no
   * metadata: the ImageNet classifiers' 224, the size GoogLeNet is for. */
  if (d->in_h <= 0)
    d->in_h = DEFAULT_INPUT_SIZE;
  if (d->in_w <= 0)
    d->in_w = DEFAULT_INPUT_SIZE;
  if (d->in_h > MAX_WINDOW || d->in_w > MAX_WINDOW) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_SETTINGS,
        "%s: input size %dx%d is larger than %d", gnet_model_get_name
        (d->model), d->in_h, d->in_w, MAX_WINDOW);
    return FALSE;
  }
  return TRUE;
}

static GnetNode *
producer (GnetModel * m, gint value)
{
  GnetValue *v = gnet__model_value (m, value);
  GnetNode *n;

  if (v->producer < 0)
    return NULL;
  n = gnet__model_node (m, v->producer);
  return n->removed ? NULL : n;
}

static gboolean
op_is (const GnetNode * n, const gchar * type)
{
  return n != NULL && g_str_equal (n->op_type, type);
}

/* Walks back over ops that only pass values through or reshape them. */
static gint
skip_views (GnetModel * m, gint value, gboolean reshapes)
{
  GnetNode *n;

  while ((n = producer (m, value)) && n->n_inputs >= 1 && n->inputs[0] >= 0
      && (op_is (n, "Identity") || op_is (n, "Dropout")
          || (reshapes && (op_is (n, "Flatten") || op_is (n, "Reshape")
                  || op_is (n, "Squeeze")))))
    value = n->inputs[0];
  return value;
}

static gint64
value_numel (const GnetValue * v)
{
  gint64 n = 1;

  for (guint i = 0; i < v->ndim; i++)
    n *= v->dims[i];
  return n;
}

static const GnetValue *
const_input (GnetModel * m, const GnetNode * n, guint k)
{
  const GnetValue *v;

  if (k >= n->n_inputs || n->inputs[k] < 0)
    return NULL;
  v = gnet__model_value (m, n->inputs[k]);
  return v->is_const && v->dtype == GNET_DTYPE_FLOAT32 ? v : NULL;
}

/* An AveragePool we can read as "average of the whole map": no pads, and
 * (checked later against F's size) a kernel the size of F. */
static gboolean
plain_average_pool (const GnetNode * n, gint64 kernel[2])
{
  const gint64 *ks, *pads;
  guint nk, np;
  const gchar *auto_pad;

  if (!gnet__attr_ints (n, "kernel_shape", &ks, &nk, NULL) || nk != 2
      || !gnet__attr_ints (n, "pads", &pads, &np, NULL)
      || !gnet__attr_string (n, "auto_pad", "NOTSET", &auto_pad, NULL))
    return FALSE;
  for (guint i = 0; i < np; i++)
    if (pads[i] != 0)
      return FALSE;
  if (!g_str_equal (auto_pad, "NOTSET") && !g_str_equal (auto_pad, "VALID"))
    return FALSE;
  kernel[0] = ks[0];
  kernel[1] = ks[1];
  return TRUE;
}

/* Reads a Gemm y = alpha x B + beta c with constant B and c as rows of
 * weights: *w is k x ch (alpha folded in), *bias k values (beta folded
 * in).  FALSE (no error) when it is not such a plain product. */
static gboolean
gemm_weights (GnetModel * m, const GnetNode * gemm, gfloat ** w,
    gfloat ** bias, gint64 * k_out, gint64 * ch_out, const gchar ** why)
{
  const GnetValue *b, *c;
  gfloat alpha, beta;
  gint64 ta, tb, k, ch;

  b = const_input (m, gemm, 1);
  c = gemm->n_inputs > 2 && gemm->inputs[2] >= 0 ? const_input (m, gemm, 2)
      : NULL;
  if (!gnet__attr_float (gemm, "alpha", 1.0f, &alpha, NULL)
      || !gnet__attr_float (gemm, "beta", 1.0f, &beta, NULL)
      || !gnet__attr_int (gemm, "transA", 0, &ta, NULL)
      || !gnet__attr_int (gemm, "transB", 0, &tb, NULL)
      || ta != 0 || gemm->fuse_relu || b == NULL || b->ndim != 2
      || (gemm->n_inputs > 2 && gemm->inputs[2] >= 0 && c == NULL)) {
    *why = "the final Gemm is not a plain product with constant weights";
    return FALSE;
  }
  k = tb ? b->dims[0] : b->dims[1];
  ch = tb ? b->dims[1] : b->dims[0];
  if (c && value_numel (c) != k && value_numel (c) != 1) {
    *why = "the final Gemm's bias is not one value per output";
    return FALSE;
  }
  *w = g_new (gfloat, k * ch);
  *bias = g_new0 (gfloat, k);
  for (gint64 i = 0; i < k; i++) {
    const gfloat *bw = b->data, *bc = c ? c->data : NULL;

    for (gint64 j = 0; j < ch; j++)
      (*w)[i * ch + j] = alpha * (tb ? bw[i * ch + j] : bw[j * k + i]);
    if (bc)
      (*bias)[i] = beta * bc[value_numel (c) == 1 ? 0 : i];
  }
  *k_out = k;
  *ch_out = ch;
  return TRUE;
}

/* Finds [Softmax] <- Gemm <- views <- GlobalAveragePool/AveragePool <- F,
 * records F and the Gemm's weights.  FALSE (no error) when the graph ends
 * some other way; *why says what did not match. */
static gboolean
find_head (GnetDetector * d, gint64 kernel[2], const gchar ** why)
{
  GnetModel *m = d->model;
  gint v = skip_views (m, g_array_index (m->outputs, gint, 0), FALSE);
  GnetNode *n = producer (m, v), *gemm;
  gint64 k, ch;

  if (op_is (n, "Softmax"))
    n = producer (m, skip_views (m, n->inputs[0], FALSE));
  if (!op_is (n, "Gemm")) {
    *why = "the output is not computed by a Gemm (with or without Softmax)";
    return FALSE;
  }
  gemm = n;
  n = producer (m, skip_views (m, gemm->inputs[0], TRUE));
  kernel[0] = kernel[1] = 0;
  if (!op_is (n, "GlobalAveragePool")
      && !(op_is (n, "AveragePool") && plain_average_pool (n, kernel))) {
    *why = "the Gemm's input is not an average pooling to 1x1";
    return FALSE;
  }
  if (!gemm_weights (m, gemm, &d->head_w, &d->head_b, &k, &ch, why))
    return FALSE;
  d->feature_value = n->inputs[0];
  d->feature = g_strdup (gnet__model_value (m, n->inputs[0])->name);
  d->channels = ch;
  d->n_classes = k;
  return TRUE;
}

/* A box regressor: another output computed by a Gemm of 4 rows straight
 * from F flattened (C x cells, at the model input size).  Other outputs
 * are ignored. */
static void
find_box_head (GnetDetector * d)
{
  GnetModel *m = d->model;
  gint64 in = (gint64) d->channels * d->cells_h * d->cells_w;

  for (guint o = 1; o < m->outputs->len; o++) {
    gint v = skip_views (m, g_array_index (m->outputs, gint, o), FALSE);
    GnetNode *gemm = producer (m, v);
    gfloat *w = NULL, *bias = NULL;
    gint64 k, ch;
    const gchar *why;

    if (!op_is (gemm, "Gemm")
        || skip_views (m, gemm->inputs[0], TRUE) != d->feature_value
        || !gemm_weights (m, gemm, &w, &bias, &k, &ch, &why))
      continue;
    if (k == 4 && ch == in) {
      d->box_w = w;
      memcpy (d->box_b, bias, sizeof (d->box_b));
      g_free (bias);
      return;
    }
    g_free (w);
    g_free (bias);
  }
}

static GnetTensor
input_tensor (const GnetDetector * d, gint64 n, gint64 h, gint64 w,
    gpointer data)
{
  GnetTensor t = { GNET_DTYPE_FLOAT32, 4, {n, 3, h, w}, data };
  return t;
}

static guint
batch_for (gsize bytes_per_window)
{
  return CLAMP (BATCH_BYTES / MAX (1, bytes_per_window), 1, BATCH_MAX);
}

/* Plans the feature session at the input size and twice it: F's size at
 * the input size gives the cells under a window, and the growth between
 * the two gives the network stride (input / cells is wrong for unpadded
 * networks). */
static gboolean
probe_head (GnetDetector * d, const gint64 kernel[2], const gchar ** why,
    GError ** error)
{
  const gchar *names[] = { d->feature, NULL };
  GnetSession *s;
  GnetTensor in = input_tensor (d, 1, d->in_h, d->in_w, NULL);
  const GnetTensor *f;
  gint64 fh, fw, fh2, fw2;

  s = gnet_session_new_with_outputs (d->model, names, 1, error);
  if (s == NULL || !gnet_session_plan (s, &in, 1, error))
    goto failed;
  f = gnet_session_get_output (s, 0);
  if (f->ndim != 4 || f->dims[1] != d->channels) {
    *why = "the pooled feature map is not 4-D with one channel per Gemm row";
    gnet_session_free (s);
    return TRUE;
  }
  fh = f->dims[2];
  fw = f->dims[3];
  d->window_macs = gnet_session_get_macs (s) + (guint64) d->n_classes
      * d->channels;
  d->max_batch = batch_for (gnet_session_get_arena_size (s));
  in = input_tensor (d, 1, 2 * d->in_h, 2 * d->in_w, NULL);
  if (!gnet_session_plan (s, &in, 1, error))
    goto failed;
  f = gnet_session_get_output (s, 0);
  fh2 = f->dims[2];
  fw2 = f->dims[3];
  gnet_session_free (s);

  if (kernel[0] && (kernel[0] != fh || kernel[1] != fw)) {
    *why = "the AveragePool kernel is not the size of the feature map";
    return TRUE;
  }
  if (fh2 <= fh || fw2 <= fw || d->in_h % (fh2 - fh) != 0
      || d->in_w % (fw2 - fw) != 0 || d->in_h / (fh2 - fh)
      != d->in_w / (fw2 - fw)) {
    *why = "the feature map does not grow with the input by a whole stride";
    return TRUE;
  }
  d->cells_h = fh;
  d->cells_w = fw;
  d->net_stride = d->in_h / (fh2 - fh);
  d->has_head = TRUE;
  find_box_head (d);
  return TRUE;

failed:
  g_prefix_error (error, "detector: ");
  gnet_session_free (s);
  return FALSE;
}

/* No usable head: the model's output are the class scores themselves. */
static gboolean
probe_classifier (GnetDetector * d, GError ** error)
{
  GnetModel *m = d->model;
  GnetSession *s = gnet_session_new (m, 1, error);
  GnetTensor in = input_tensor (d, 1, d->in_h, d->in_w, NULL);
  gint out = g_array_index (m->outputs, gint, 0);

  if (s == NULL || !gnet_session_plan (s, &in, 1, error)) {
    g_prefix_error (error, "detector: ");
    gnet_session_free (s);
    return FALSE;
  }
  d->n_classes = gnet_tensor_numel (gnet_session_get_output (s, 0));
  d->window_macs = gnet_session_get_macs (s);
  d->max_batch = batch_for (gnet_session_get_arena_size (s));
  /* Caffe exports reshape to a constant (1, C): such graphs only take one
   * window per run. */
  in = input_tensor (d, 2, d->in_h, d->in_w, NULL);
  d->max_batch = gnet_session_plan (s, &in, 1, NULL)
      && gnet_tensor_numel (gnet_session_get_output (s, 0))
      == 2 * (gint64) d->n_classes ? d->max_batch : 1;
  gnet_session_free (s);
  d->output_is_prob = op_is (producer (m, skip_views (m, out, FALSE)),
      "Softmax");
  return TRUE;
}

static gboolean
setup_labels (GnetDetector * d, const GnetDetectorParams * p, GError ** error)
{
  const gchar *text = gnet_model_get_metadata (d->model, GNET_META_LABELS);
  const gchar *what = p->labels_file;
  gchar **labels = NULL;
  guint n;

  if (p->labels_file && p->labels_file[0]) {
    labels = gnet_labels_load_file (p->labels_file, error);
  } else if (text) {
    gchar *where = g_strdup_printf ("%s: metadata %s",
        gnet_model_get_name (d->model), GNET_META_LABELS);

    labels = gnet__labels_parse (text, where, error);
    g_free (where);
    what = gnet_model_get_name (d->model);
  } else {
    labels = g_new0 (gchar *, d->n_classes + 1);
    for (guint i = 0; i < d->n_classes; i++)
      labels[i] = g_strdup_printf ("class %u", i);
  }
  if (labels == NULL)
    return FALSE;
  n = g_strv_length (labels);
  if (n != d->n_classes) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_SETTINGS,
        "%s: %u labels, but the model has %u classes", what, n, d->n_classes);
    g_strfreev (labels);
    return FALSE;
  }
  d->labels = labels;
  return TRUE;
}

static gboolean
setup_background (GnetDetector * d, GError ** error)
{
  const gchar *v = gnet_model_get_metadata (d->model,
      GNET_META_BACKGROUND_CLASS);
  gchar *end;
  gint64 b;

  d->background = -1;
  if (v == NULL)
    return TRUE;
  b = g_ascii_strtoll (v, &end, 10);
  if (end == v || *end != '\0' || b < -1 || b >= d->n_classes)
    return meta_error (d, GNET_META_BACKGROUND_CLASS, v,
        "-1 or a class index", error);
  d->background = b;
  return TRUE;
}

static gboolean
setup_windows (GnetDetector * d, const GnetDetectorParams * p, GError ** error)
{
  const gchar *v = gnet_model_get_metadata (d->model, GNET_META_WINDOWS);
  gint windows[GNET_MAX_WINDOWS];
  guint n = 0;

  if (p->n_windows > 0) {
    memcpy (windows, p->windows, p->n_windows * sizeof (gint));
    n = p->n_windows;
  } else if (v) {
    if (!gnet_parse_sizes (v, windows, GNET_MAX_WINDOWS, &n))
      return meta_error (d, GNET_META_WINDOWS, v,
          "comma-separated window sizes", error);
  } else {
    windows[n++] = MAX (d->in_h, d->in_w);
  }
  d->n_levels = n;
  for (guint i = 0; i < n; i++)
    d->levels[i].window = windows[i];
  return TRUE;
}

static gboolean
create_sessions (GnetDetector * d, GError ** error)
{
  const gchar *names[] = { d->feature, NULL };

  for (guint i = 0; i < d->n_levels; i++) {
    Level *l = &d->levels[i];

    if (d->has_head) {
      l->session = gnet_session_new_with_outputs (d->model, names,
          d->n_threads, error);
      if (l->session && d->mode == GNET_DETECT_MODE_CROPS)
        l->rest = gnet_session_new_with_outputs (d->model, names,
            d->n_threads, error);
    } else {
      l->session = gnet_session_new (d->model, d->n_threads, error);
      if (l->session)
        l->rest = gnet_session_new (d->model, d->n_threads, error);
    }
    if (l->session == NULL || (d->mode == GNET_DETECT_MODE_CROPS
            && l->rest == NULL))
      return FALSE;
  }
  return TRUE;
}

GnetDetector *
gnet_detector_new (GnetModel * model, const GnetDetectorParams * params,
    GError ** error)
{
  GnetDetector *d;
  gint64 kernel[2];
  const gchar *why = NULL;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (params != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_params (params, error))
    return NULL;

  d = g_new0 (GnetDetector, 1);
  d->model = gnet_model_ref (model);
  d->mode = params->mode;
  d->refine = params->refine;
  d->threshold = params->threshold;
  d->iou_threshold = params->iou_threshold;
  d->group_iou = params->group_iou;
  d->max_detections = params->max_detections;
  d->smoothing = params->smoothing;
  d->n_threads = params->n_threads;
  d->n_parts = params->n_threads > 0 ? (guint) params->n_threads
      : g_get_num_processors ();

  if (!setup_input (d, error) || !setup_normalize (d, params, error))
    goto failed;
  if (gnet_model_get_n_outputs (model) < 1) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
        "%s: the model has no output", gnet_model_get_name (model));
    goto failed;
  }
  if (find_head (d, kernel, &why) && !probe_head (d, kernel, &why, error))
    goto failed;
  if (!d->has_head) {
    if (d->mode == GNET_DETECT_MODE_DENSE || d->refine == GNET_REFINE_CAM) {
      g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
          "%s: %s needs a head of average pooling to 1x1, flatten and Gemm, "
          "but %s; use mode crops%s", gnet_model_get_name (model),
          d->mode == GNET_DETECT_MODE_DENSE ? "dense evaluation"
          : "CAM refinement", why, d->refine == GNET_REFINE_CAM
          ? " and refine none" : "");
      goto failed;
    }
    g_clear_pointer (&d->feature, g_free);
    g_clear_pointer (&d->head_w, g_free);
    g_clear_pointer (&d->head_b, g_free);
    if (!probe_classifier (d, error))
      goto failed;
  }
  if (d->n_classes < 1) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
        "%s: the model gives no class scores", gnet_model_get_name (model));
    goto failed;
  }
  if (!setup_labels (d, params, error) || !setup_background (d, error)
      || !setup_windows (d, params, error))
    goto failed;

  gnet__track_init (&d->track, d->max_detections, d->n_classes);
  d->keep = g_new (gboolean, d->n_classes);
  if (!gnet_detector_set_classes (d, params->classes, error))
    goto failed;

  if (d->has_head) {
    gint mx = MAX (1, (gint) lroundf (params->stride * d->in_w
            / d->net_stride));
    gint my = MAX (1, (gint) lroundf (params->stride * d->in_h
            / d->net_stride));

    d->step_x = mx * d->net_stride;
    d->step_y = my * d->net_stride;
    for (guint i = 0; i < MAX_LANES; i++) {
      gnet__cam_init (&d->lanes[i].cam, d->cells_h, d->cells_w, d->in_h,
          d->in_w, d->net_stride, CAM_THRESHOLD);
      d->lanes[i].cam_w = g_new (gfloat, d->channels);
    }
  } else {
    d->step_x = MAX (1, (gint) lroundf (params->stride * d->in_w));
    d->step_y = MAX (1, (gint) lroundf (params->stride * d->in_h));
  }
  if (!create_sessions (d, error))
    goto failed;
  return d;

failed:
  gnet_detector_free (d);
  return NULL;
}

static void
clear_frame (GnetDetector * d)
{
  for (guint i = 0; i < d->n_levels; i++) {
    gnet__resample_axis_clear (&d->levels[i].ax);
    gnet__resample_axis_clear (&d->levels[i].ay);
    d->levels[i].active = FALSE;
  }
  g_clear_pointer (&d->frame, g_free);
  g_clear_pointer (&d->batch, g_free);
  for (guint i = 0; i < MAX_LANES; i++) {
    Lane *ln = &d->lanes[i];

    g_clear_pointer (&ln->scratch, g_free);
    g_clear_pointer (&ln->pixels, g_free);
    g_clear_pointer (&ln->rowsum, g_free);
    g_clear_pointer (&ln->pooled, g_free);
    g_clear_pointer (&ln->scores, g_free);
    g_clear_pointer (&ln->boxes, g_free);
    ln->box_capacity = 0;
    ln->n_boxes = 0;
  }
  d->boxes = NULL;
  d->n_lanes = 0;
  g_clear_pointer (&d->candidates, g_free);
  d->frame_w = d->frame_h = 0;
  d->n_boxes = 0;
}

void
gnet_detector_free (GnetDetector * d)
{
  if (d == NULL)
    return;
  clear_frame (d);
  for (guint i = 0; i < d->n_levels; i++) {
    gnet_session_free (d->levels[i].session);
    gnet_session_free (d->levels[i].rest);
  }
  for (guint i = 0; i < MAX_LANES; i++) {
    gnet__cam_clear (&d->lanes[i].cam);
    g_free (d->lanes[i].cam_w);
  }
  gnet__track_clear (&d->track);
  g_free (d->keep);
  g_strfreev (d->labels);
  g_free (d->feature);
  g_free (d->head_w);
  g_free (d->head_b);
  g_free (d->box_w);
  gnet_model_unref (d->model);
  g_free (d);
}

/* ------------------------------------------------------------------------ */
/* Settings and queries                                                     */
/* ------------------------------------------------------------------------ */

void
gnet_detector_set_threshold (GnetDetector * d, gfloat threshold)
{
  g_return_if_fail (d != NULL);
  g_return_if_fail (threshold >= 0.0f && threshold <= 1.0f);
  d->threshold = threshold;
}

void
gnet_detector_set_smoothing (GnetDetector * d, gfloat smoothing)
{
  g_return_if_fail (d != NULL);
  g_return_if_fail (smoothing >= 0.0f && smoothing < 1.0f);
  d->smoothing = smoothing;
}

void
gnet_detector_reset (GnetDetector * d)
{
  g_return_if_fail (d != NULL);
  gnet__track_reset (&d->track);
}

gboolean
gnet_detector_set_classes (GnetDetector * d, const gchar * classes,
    GError ** error)
{
  gchar **names;
  GString *unknown = NULL;
  gboolean *keep;
  gboolean any = FALSE;

  g_return_val_if_fail (d != NULL, FALSE);

  keep = g_new0 (gboolean, d->n_classes);
  names = g_strsplit (classes ? classes : "", ",", -1);
  for (guint i = 0; names[i]; i++) {
    const gchar *name = g_strstrip (names[i]);
    gboolean found = FALSE;

    if (name[0] == '\0')
      continue;
    any = TRUE;
    for (guint k = 0; k < d->n_classes; k++)
      if (gnet__label_matches (d->labels[k], name))
        keep[k] = found = TRUE;
    if (!found) {
      if (unknown == NULL)
        unknown = g_string_new (NULL);
      else
        g_string_append (unknown, ", ");
      g_string_append_printf (unknown, "'%s'", name);
    }
  }
  g_strfreev (names);
  if (unknown) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_SETTINGS,
        "classes: no label named %s in %s", unknown->str,
        gnet_model_get_name (d->model));
    g_string_free (unknown, TRUE);
    g_free (keep);
    return FALSE;
  }
  for (guint k = 0; k < d->n_classes; k++)
    d->keep[k] = any ? keep[k] : TRUE;
  g_free (keep);
  /* remembered objects may be of classes no longer kept */
  gnet__track_reset (&d->track);
  return TRUE;
}

guint
gnet_detector_get_n_classes (const GnetDetector * d)
{
  g_return_val_if_fail (d != NULL, 0);
  return d->n_classes;
}

const gchar *
gnet_detector_get_label (const GnetDetector * d, guint class_id)
{
  g_return_val_if_fail (d != NULL, NULL);
  if (class_id >= d->n_classes)
    return NULL;
  return d->labels[class_id];
}

gint
gnet_detector_get_background_class (const GnetDetector * d)
{
  g_return_val_if_fail (d != NULL, -1);
  return d->background;
}

gint
gnet_detector_get_min_window (const GnetDetector * d)
{
  gint w = G_MAXINT;

  g_return_val_if_fail (d != NULL, 0);
  for (guint i = 0; i < d->n_levels; i++)
    w = MIN (w, d->levels[i].window);
  return w;
}

guint64
gnet_detector_get_last_macs (const GnetDetector * d)
{
  g_return_val_if_fail (d != NULL, 0);
  return d->last_macs;
}

guint64
gnet_detector_get_last_crops_macs (const GnetDetector * d)
{
  guint64 windows = 0;

  g_return_val_if_fail (d != NULL, 0);
  for (guint i = 0; i < d->n_levels; i++)
    if (d->levels[i].active)
      windows += (guint64) d->levels[i].nx * d->levels[i].ny;
  return windows * d->window_macs;
}

guint
gnet__detector_get_n_plans (const GnetDetector * d)
{
  guint n = 0;

  for (guint i = 0; i < d->n_levels; i++) {
    n += gnet_session_get_n_plans (d->levels[i].session);
    if (d->levels[i].rest)
      n += gnet_session_get_n_plans (d->levels[i].rest);
  }
  return n;
}

/* ------------------------------------------------------------------------ */
/* Frame set-up: everything that depends on the frame size                  */
/* ------------------------------------------------------------------------ */

static gboolean
setup_level (GnetDetector * d, Level * l, gint width, gint height,
    GError ** error)
{
  l->active = FALSE;
  if (width < l->window || height < l->window)
    return TRUE;
  l->lw = MAX (d->in_w, (gint) lround ((gdouble) width * d->in_w / l->window));
  l->lh = MAX (d->in_h, (gint) lround ((gdouble) height * d->in_h / l->window));
  if ((gdouble) l->lw * l->lh > MAX_LEVEL_PIXELS) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_SETTINGS,
        "a %dx%d frame makes a %dx%d pyramid level (model input %dx%d), "
        "too large; use larger windows", width, height, l->lw, l->lh,
        d->in_w, d->in_h);
    return FALSE;
  }
  l->sx = (gdouble) width / l->lw;
  l->sy = (gdouble) height / l->lh;
  l->nx = (l->lw - d->in_w) / d->step_x + 1;
  l->ny = (l->lh - d->in_h) / d->step_y + 1;

  if (d->mode == GNET_DETECT_MODE_DENSE) {
    GnetTensor in = input_tensor (d, 1, l->lh, l->lw, NULL);
    const GnetTensor *f;

    if (!gnet_session_plan (l->session, &in, 1, error))
      return FALSE;
    f = gnet_session_get_output (l->session, 0);
    /* Positions whose cells all exist (a padded network has more cells
     * than whole windows; an unpadded one may have fewer). */
    l->nx = MIN (l->nx, (gint) (f->dims[3] - d->cells_w)
        / (d->step_x / d->net_stride) + 1);
    l->ny = MIN (l->ny, (gint) (f->dims[2] - d->cells_h)
        / (d->step_y / d->net_stride) + 1);
    if (l->nx <= 0 || l->ny <= 0)
      return TRUE;
  } else {
    gint n = l->nx * l->ny;
    GnetTensor in;

    l->batch = MIN (n, (gint) d->max_batch);
    in = input_tensor (d, l->batch, d->in_h, d->in_w, NULL);
    if (!gnet_session_plan (l->session, &in, 1, error))
      return FALSE;
    if (n % l->batch) {
      in.dims[0] = n % l->batch;
      if (!gnet_session_plan (l->rest, &in, 1, error))
        return FALSE;
    }
  }
  gnet__resample_axis_init (&l->ax, width, l->lw);
  gnet__resample_axis_init (&l->ay, height, l->lh);
  l->active = TRUE;
  return TRUE;
}

/* Which levels each lane runs: with two threads in dense mode, two lanes,
 * the first taking the levels up to the split that best balances their
 * MACs (in order, so the boxes come in the same order as on one lane).
 * The busier lane splits its layers and its resampling in two parts: the
 * other lane's thread, once done with its own levels, helps with them
 * (gnet__parallel_run_helped).  One lane alone splits them in one part
 * per thread. */
static void
assign_lanes (GnetDetector * d)
{
  guint64 total = 0, before = 0, best = G_MAXUINT64, first = 0;
  guint split = d->n_levels, n_active = 0;

  d->n_lanes = 1;
  d->lanes[0].first_level = 0;
  d->lanes[0].end_level = d->n_levels;
  d->lanes[0].parts = d->n_parts;
  for (guint i = 0; i < d->n_levels; i++)
    if (d->levels[i].active) {
      total += gnet_session_get_macs (d->levels[i].session);
      n_active++;
    }
  if (d->mode != GNET_DETECT_MODE_DENSE || d->n_parts != 2 || n_active < 2)
    return;
  for (guint i = 0; i + 1 < d->n_levels; i++) {
    guint64 cost;

    if (d->levels[i].active)
      before += gnet_session_get_macs (d->levels[i].session);
    cost = MAX (before, total - before);
    if (before > 0 && before < total && cost < best) {
      best = cost;
      split = i + 1;
      first = before;
    }
  }
  if (split >= d->n_levels)
    return;
  d->n_lanes = 2;
  d->lanes[0].end_level = split;
  d->lanes[1].first_level = split;
  d->lanes[1].end_level = d->n_levels;
  d->lanes[0].parts = first * 2 >= total ? 2 : 1;
  d->lanes[1].parts = first * 2 >= total ? 1 : 2;
}

static gboolean
setup_frame (GnetDetector * d, gint width, gint height, GError ** error)
{
  gsize channels = d->has_head ? d->channels : 0, all_boxes = 0;
  gsize batch = 0;

  clear_frame (d);
  /* the objects of frames of another size are not this video's */
  gnet__track_reset (&d->track);
  for (guint i = 0; i < d->n_levels; i++) {
    Level *l = &d->levels[i];

    if (!setup_level (d, l, width, height, error)) {
      g_prefix_error (error, "detector: level for window %d: ", l->window);
      clear_frame (d);
      return FALSE;
    }
  }
  assign_lanes (d);
  for (guint k = 0; k < d->n_lanes; k++) {
    Lane *ln = &d->lanes[k];
    gsize pixels = 0, positions = 0, rowsum = 0, boxes = 0;

    for (guint i = ln->first_level; i < ln->end_level; i++) {
      Level *l = &d->levels[i];
      gsize n;

      if (!l->active)
        continue;
      /* side by side, OpenBLAS (the fallback convolution's) on one thread */
      gnet__session_set_n_threads (l->session, (gint) ln->parts,
          d->n_lanes > 1 ? 1 : (gint) ln->parts);
      n = (gsize) l->nx * l->ny;
      pixels = MAX (pixels, 3 * (gsize) l->lw * l->lh);
      positions = MAX (positions, d->mode == GNET_DETECT_MODE_DENSE ? n
          : (gsize) l->batch);
      if (d->mode == GNET_DETECT_MODE_DENSE) {
        const GnetTensor *f = gnet_session_get_output (l->session, 0);
        rowsum = MAX (rowsum, (gsize) f->dims[2] * l->nx);
      }
      boxes += n * CLASSES_PER_WINDOW;
    }
    ln->scratch = g_new (gfloat, gnet__image_resample_scratch (width,
            ln->parts));
    ln->pixels = g_new (gfloat, MAX (1, pixels));
    if (d->mode == GNET_DETECT_MODE_CROPS)
      batch = MAX (batch, positions);
    ln->rowsum = g_new (gfloat, MAX (1, rowsum));
    ln->pooled = g_new (gfloat, MAX (1, positions * channels));
    ln->scores = g_new (gfloat, MAX (1, positions * d->n_classes));
    ln->box_capacity = boxes;
    all_boxes += boxes;
  }
  /* the first lane's array takes every lane's boxes in the end */
  for (guint k = 0; k < d->n_lanes; k++)
    d->lanes[k].boxes = g_new (GnetBox, MAX (1, k ? d->lanes[k].box_capacity
            : all_boxes));
  d->boxes = d->lanes[0].boxes;
  if (d->mode == GNET_DETECT_MODE_CROPS)
    d->batch = g_new (gfloat, MAX (1, batch * 3 * d->in_h * d->in_w));
  d->frame = g_new (gfloat, gnet__image_decode_floats (width, height));
  d->candidates = d->box_w ? g_new (GnetBox, MAX (1, all_boxes)) : NULL;
  d->frame_w = width;
  d->frame_h = height;
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Scoring                                                                  */
/* ------------------------------------------------------------------------ */

/* scores (n_classes x n) = W . pooled (C x n) + b, then softmax per
 * column: the Gemm as a 1x1 convolution over all positions at once. */
static void
apply_head (GnetDetector * d, Lane * ln, gint n)
{
  gint k = d->n_classes;

  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, k, n, d->channels,
      1.0f, d->head_w, d->channels, ln->pooled, n, 0.0f, ln->scores, n);
  for (gint i = 0; i < k; i++)
    for (gint j = 0; j < n; j++)
      ln->scores[(gsize) i * n + j] += d->head_b[i];
  ln->macs += (guint64) d->channels * k * n;
}

static void
softmax_columns (gfloat * scores, gint k, gint n)
{
  for (gint j = 0; j < n; j++) {
    gfloat max = scores[j], sum = 0.0f;

    for (gint i = 1; i < k; i++)
      max = MAX (max, scores[(gsize) i * n + j]);
    for (gint i = 0; i < k; i++) {
      gfloat *s = &scores[(gsize) i * n + j];

      *s = expf (*s - max);
      sum += *s;
    }
    for (gint i = 0; i < k; i++)
      scores[(gsize) i * n + j] /= sum;
  }
}

/* Features of one window for CAM: cells (0, 0) of the window, strides. */
typedef struct
{
  const gfloat *base;
  gsize channel_stride;
  gsize row_stride;
} WindowFeatures;

/* The class's evidence per channel.  With a background class, the map is
 * of the logit difference to it: what a softmax over {class, background}
 * decides on.  Raw W[class] also lights up whatever every class responds
 * to (texture, edges), which spreads the map over the background. */
static const gfloat *
cam_weights (GnetDetector * d, Lane * ln, gint k)
{
  const gfloat *w = d->head_w + (gsize) k * d->channels;
  const gfloat *bg;

  if (d->background < 0)
    return w;
  bg = d->head_w + (gsize) d->background * d->channels;
  for (gint c = 0; c < d->channels; c++)
    ln->cam_w[c] = w[c] - bg[c];
  return ln->cam_w;
}

/* The regressed box of one window, in level pixels relative to the
 * window's corner; at least one pixel wide and tall. */
static void
regress_box (const GnetDetector * d, const WindowFeatures * wf, gfloat wb[4])
{
  const gfloat *w = d->box_w;

  for (gint i = 0; i < 4; i++) {
    gfloat s = d->box_b[i];

    for (gint c = 0; c < d->channels; c++)
      for (gint y = 0; y < d->cells_h; y++) {
        const gfloat *f = wf->base + c * wf->channel_stride
            + y * wf->row_stride;

        for (gint x = 0; x < d->cells_w; x++)
          s += *w++ * f[x];
      }
    wb[i] = s * (i % 2 ? d->in_h : d->in_w);
  }
  for (gint i = 0; i < 2; i++)
    if (wb[i + 2] < wb[i] + 1.0f) {
      gfloat mid = 0.5f * (wb[i] + wb[i + 2]);

      wb[i] = mid - 0.5f;
      wb[i + 2] = mid + 0.5f;
    }
}

/* Tightens box wb (level pixels, relative to the window) to the class
 * activation map's region.  With a box regressor, the map may only trim
 * the regressed box, and only where that keeps at least half of each side:
 * a map of 4x4 cells is far coarser than the regressed box (on the sample
 * video, the map alone gave mAP 0.02, the map trimming the box 0.29, and
 * averaging the two boxes 0.20 with an early model). */
static void
refine_cam (GnetDetector * d, Lane * ln, gint k, const WindowFeatures * wf,
    gfloat wb[4])
{
  gfloat cb[4];
  gfloat ib[4];

  if (!gnet__cam_box (&ln->cam, cam_weights (d, ln, k), d->channels,
          wf->base, wf->channel_stride, wf->row_stride, cb))
    return;
  if (d->box_w == NULL) {
    memcpy (wb, cb, sizeof (cb));
    return;
  }
  ib[0] = MAX (wb[0], cb[0]);
  ib[1] = MAX (wb[1], cb[1]);
  ib[2] = MIN (wb[2], cb[2]);
  ib[3] = MIN (wb[3], cb[3]);
  if (ib[2] - ib[0] >= 0.5f * (wb[2] - wb[0])
      && ib[3] - ib[1] >= 0.5f * (wb[3] - wb[1]))
    memcpy (wb, ib, sizeof (ib));
}

/* Turns column j of the scores into boxes, one for each of the window's
 * CLASSES_PER_WINDOW best kept, non-background classes that reaches the
 * threshold, for the window at level pixels (px, py).  At a threshold
 * above 1/2 that is the best class alone; a lower threshold gives a
 * window's runner-up classes their own, weaker boxes, as per-class
 * detectors do, so that an item the network hesitates over still ranks
 * under its true class. */
static void
consider (GnetDetector * d, Lane * ln, const Level * l, gint n, gint j,
    gint px, gint py, const WindowFeatures * wf)
{
  gint top[CLASSES_PER_WINDOW];
  gfloat conf[CLASSES_PER_WINDOW];
  guint n_top = 0;
  gfloat rb[4] = { 0, 0, d->in_w, d->in_h };

  for (guint k = 0; k < d->n_classes; k++) {
    gfloat p = ln->scores[(gsize) k * n + j];

    if ((gint) k == d->background || !d->keep[k] || !(p >= d->threshold))
      continue;
    gnet__top_insert (top, conf, &n_top, CLASSES_PER_WINDOW, k, p);
  }
  if (n_top == 0)
    return;
  if (d->box_w != NULL && wf != NULL)
    regress_box (d, wf, rb);
  /* The best class's map places the item for all of the window's classes:
   * they are hypotheses about one item and keep one box, which grouping
   * then makes one object (each class's own map trims the box differently,
   * and grouping could take them for several items). */
  if (d->refine == GNET_REFINE_CAM && wf != NULL)
    refine_cam (d, ln, top[0], wf, rb);

  for (guint i = 0; i < n_top && ln->n_boxes < ln->box_capacity; i++) {
    GnetBox *box;

    box = &ln->boxes[ln->n_boxes++];
    box->x0 = (px + rb[0]) * l->sx;
    box->y0 = (py + rb[1]) * l->sy;
    box->x1 = (px + rb[2]) * l->sx;
    box->y1 = (py + rb[3]) * l->sy;
    box->confidence = conf[i];
    box->class_id = top[i];
    box->label = d->labels[top[i]];
    box->objectness = conf[i];
    box->n_alternatives = 0;
  }
}

/* Average of every window's cells: horizontal sums of each row at the
 * window columns, then vertical sums of those: C x (Hf x nx + ny x nx). */
static void
pool_windows (GnetDetector * d, Lane * ln, const Level * l,
    const GnetTensor * f)
{
  gint hf = f->dims[2], wf = f->dims[3];
  gint mx = d->step_x / d->net_stride, my = d->step_y / d->net_stride;
  gint n = l->nx * l->ny;
  gfloat inv = 1.0f / (d->cells_h * d->cells_w);

  for (gint c = 0; c < d->channels; c++) {
    const gfloat *fc = (const gfloat *) f->data + (gsize) c * hf * wf;
    gfloat *out = ln->pooled + (gsize) c * n;

    for (gint y = 0; y < hf; y++)
      for (gint ix = 0; ix < l->nx; ix++) {
        const gfloat *r = fc + (gsize) y * wf + ix * mx;
        gfloat s = 0.0f;

        for (gint dx = 0; dx < d->cells_w; dx++)
          s += r[dx];
        ln->rowsum[y * l->nx + ix] = s;
      }
    for (gint iy = 0; iy < l->ny; iy++)
      for (gint ix = 0; ix < l->nx; ix++) {
        gfloat s = 0.0f;

        for (gint dy = 0; dy < d->cells_h; dy++)
          s += ln->rowsum[(iy * my + dy) * l->nx + ix];
        out[iy * l->nx + ix] = s * inv;
      }
  }
}

static gboolean
run_dense (GnetDetector * d, Lane * ln, Level * l, GError ** error)
{
  GnetTensor in = input_tensor (d, 1, l->lh, l->lw, ln->pixels);
  const GnetTensor *f;
  gint n = l->nx * l->ny;
  gint mx = d->step_x / d->net_stride, my = d->step_y / d->net_stride;

  if (!gnet_session_run (l->session, &in, 1, error))
    return FALSE;
  ln->macs += gnet_session_get_macs (l->session);
  f = gnet_session_get_output (l->session, 0);
  pool_windows (d, ln, l, f);
  apply_head (d, ln, n);
  softmax_columns (ln->scores, d->n_classes, n);
  for (gint iy = 0; iy < l->ny; iy++)
    for (gint ix = 0; ix < l->nx; ix++) {
      gsize hf = f->dims[2], wf = f->dims[3];
      WindowFeatures w = {
        (const gfloat *) f->data + iy * my * wf + ix * mx, hf * wf, wf
      };

      consider (d, ln, l, n, iy * l->nx + ix, ix * d->step_x, iy * d->step_y,
          &w);
    }
  return TRUE;
}

/* Copies windows first .. first + n - 1 of the level into the batch. */
static void
gather_crops (GnetDetector * d, Lane * ln, const Level * l, gint first, gint n)
{
  gsize plane = (gsize) l->lw * l->lh, crop = (gsize) d->in_w * d->in_h;

  for (gint i = 0; i < n; i++) {
    gint pos = first + i;
    gint px = (pos % l->nx) * d->step_x, py = (pos / l->nx) * d->step_y;

    for (gint c = 0; c < 3; c++) {
      const gfloat *src = ln->pixels + c * plane + (gsize) py * l->lw + px;
      gfloat *dst = d->batch + (i * 3 + c) * crop;

      for (gint y = 0; y < d->in_h; y++)
        memcpy (dst + (gsize) y * d->in_w, src + (gsize) y * l->lw,
            d->in_w * sizeof (gfloat));
    }
  }
}

static void
score_crops (GnetDetector * d, Lane * ln, const GnetTensor * out, gint n)
{
  if (d->has_head) {
    gsize cells = (gsize) d->cells_h * d->cells_w;
    gfloat inv = 1.0f / cells;

    for (gint i = 0; i < n; i++)
      for (gint c = 0; c < d->channels; c++) {
        const gfloat *f = (const gfloat *) out->data
            + ((gsize) i * d->channels + c) * cells;
        gfloat s = 0.0f;

        for (gsize k = 0; k < cells; k++)
          s += f[k];
        ln->pooled[(gsize) c * n + i] = s * inv;
      }
    apply_head (d, ln, n);
    softmax_columns (ln->scores, d->n_classes, n);
  } else {
    const gfloat *o = out->data;

    for (gint i = 0; i < n; i++)
      for (guint k = 0; k < d->n_classes; k++)
        ln->scores[(gsize) k * n + i] = o[(gsize) i * d->n_classes + k];
    if (!d->output_is_prob)
      softmax_columns (ln->scores, d->n_classes, n);
  }
}

static gboolean
run_crops (GnetDetector * d, Lane * ln, Level * l, GError ** error)
{
  gint total = l->nx * l->ny;

  for (gint first = 0; first < total; first += l->batch) {
    gint n = MIN (l->batch, total - first);
    GnetSession *s = n == l->batch ? l->session : l->rest;
    GnetTensor in = input_tensor (d, n, d->in_h, d->in_w, d->batch);
    const GnetTensor *out;

    gather_crops (d, ln, l, first, n);
    if (!gnet_session_run (s, &in, 1, error))
      return FALSE;
    ln->macs += gnet_session_get_macs (s);
    out = gnet_session_get_output (s, 0);
    score_crops (d, ln, out, n);
    for (gint i = 0; i < n; i++) {
      gint pos = first + i;
      gsize cells = (gsize) d->cells_h * d->cells_w;
      WindowFeatures w = {
        (const gfloat *) out->data + (gsize) i * d->channels * cells,
        cells, d->cells_w
      };

      consider (d, ln, l, n, i, (pos % l->nx) * d->step_x,
          (pos / l->nx) * d->step_y, d->has_head ? &w : NULL);
    }
  }
  return TRUE;
}

/* Runs a lane's levels on the decoded frame; a failure is kept in
 * ln->error. */
static void
run_lane (GnetDetector * d, Lane * ln, gint width, gint height)
{
  ln->n_boxes = 0;
  ln->macs = 0;
  for (guint i = ln->first_level; i < ln->end_level; i++) {
    Level *l = &d->levels[i];
    gboolean ok;

    if (!l->active)
      continue;
    gnet__image_resample (d->frame, width, height, &l->ax, &l->ay, &d->norm,
        ln->scratch, ln->parts, ln->pixels);
    ok = d->mode == GNET_DETECT_MODE_DENSE ? run_dense (d, ln, l, &ln->error)
        : run_crops (d, ln, l, &ln->error);
    if (!ok)
      return;
  }
}

typedef struct
{
  GnetDetector *d;
  gint width, height;
} LaneRun;

/* One part per lane, on the worker pool.  The busier lane's operators
 * split their work in two parts (assign_lanes), which the other lane's
 * thread helps with once its own levels are done; the other lane's
 * operators do not split theirs. */
static void
run_lane_part (gpointer data, guint index, guint n)
{
  LaneRun *run = data;

  run_lane (run->d, &run->d->lanes[index], run->width, run->height);
}

gboolean
gnet_detector_process (GnetDetector * d, const GnetImage * image,
    const GnetBox ** boxes, guint * n_boxes, GError ** error)
{
  guint n_candidates;
  LaneRun run;

  g_return_val_if_fail (d != NULL, FALSE);
  g_return_val_if_fail (image != NULL, FALSE);
  g_return_val_if_fail (boxes != NULL && n_boxes != NULL, FALSE);

  *boxes = NULL;
  *n_boxes = 0;
  if (!gnet__image_check (image, error))
    return FALSE;
  if ((image->width != d->frame_w || image->height != d->frame_h)
      && !setup_frame (d, image->width, image->height, error))
    return FALSE;

  gnet__image_decode (image, d->frame, d->n_parts);
  run.d = d;
  run.width = image->width;
  run.height = image->height;
  /* Lanes' sessions run on one thread, and so does OpenBLAS within them
   * (the fallback convolution's SGEMM): set here, before the lanes run,
   * rather than by both lanes' sessions at once. */
  if (d->n_lanes > 1 && openblas_get_num_threads () != 1)
    openblas_set_num_threads (1);
  /* one lane runs inline, without the pool */
  gnet__parallel_run_helped (d->n_lanes, run_lane_part, &run);
  /* the lanes' boxes in level order, in the first lane's array */
  d->n_boxes = 0;
  d->last_macs = 0;
  for (guint k = 0; k < d->n_lanes; k++) {
    Lane *ln = &d->lanes[k];

    if (ln->error) {
      g_propagate_error (error, ln->error);
      ln->error = NULL;
      for (guint j = k + 1; j < d->n_lanes; j++)
        g_clear_error (&d->lanes[j].error);
      return FALSE;
    }
    if (k > 0)
      memcpy (d->boxes + d->n_boxes, ln->boxes, ln->n_boxes * sizeof (GnetBox));
    d->n_boxes += ln->n_boxes;
    d->last_macs += ln->macs;
  }

  for (guint i = 0; i < d->n_boxes; i++) {
    GnetBox *b = &d->boxes[i];

    b->x0 = CLAMP (b->x0, 0.0f, (gfloat) image->width);
    b->x1 = CLAMP (b->x1, 0.0f, (gfloat) image->width);
    b->y0 = CLAMP (b->y0, 0.0f, (gfloat) image->height);
    b->y1 = CLAMP (b->y1, 0.0f, (gfloat) image->height);
  }
  n_candidates = d->n_boxes;
  if (d->candidates)
    memcpy (d->candidates, d->boxes, n_candidates * sizeof (GnetBox));
  d->n_boxes = gnet_nms (d->boxes, d->n_boxes, d->iou_threshold, d->n_boxes);
  if (d->candidates)
    gnet__boxes_vote (d->boxes, d->n_boxes, d->candidates, n_candidates,
        VOTE_IOU);
  d->n_boxes = gnet__boxes_group (d->boxes, d->n_boxes, d->group_iou);
  d->n_boxes = MIN (d->n_boxes, d->max_detections);
  d->n_boxes = gnet__track_smooth (&d->track, d->boxes, d->n_boxes,
      d->smoothing, d->threshold, d->labels);
  *boxes = d->boxes;
  *n_boxes = d->n_boxes;
  return TRUE;
}
