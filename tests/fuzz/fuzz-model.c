/* fuzz-model.c - the ONNX loader, then the planner and the session.
 *
 * A model that loads is planned for the input shapes it declares (unknown
 * dimensions get small sizes), since shape inference and the memory plan are
 * where hostile shapes bite; a small enough plan is also run once, so that
 * every operator's forward pass meets the shapes its inference accepted.
 * Last, the model goes to the detector, as the element gives it any model
 * file: its metadata and graph are checked there, and a cheap enough model
 * processes one small frame in each strategy.
 */
#include "fuzz-common.h"

#include <string.h>

/* Bounds that keep one execution fast; a hostile model may declare any
 * shape, these only decide what the harness bothers to plan and run. */
#define MAX_INPUTS 8
#define MAX_INPUT_ELEMENTS (1 << 18)
#define MAX_RUN_MACS (G_GUINT64_CONSTANT (1) << 24)
#define MAX_RUN_ARENA (64 << 20)

static gboolean
declared_shape (const GnetModel * model, guint i, GnetTensor * t)
{
  gint64 numel = 1;

  if (!gnet_model_get_input (model, i, NULL, t))
    abort ();
  if (t->ndim > GNET_MAX_DIMS)
    abort ();
  for (guint d = 0; d < t->ndim; d++) {
    if (t->dims[d] < 0)
      t->dims[d] = d == 0 ? 1 : 8;
    if (t->dims[d] > MAX_INPUT_ELEMENTS)
      return FALSE;
    numel *= t->dims[d];
    if (numel > MAX_INPUT_ELEMENTS)
      return FALSE;
  }
  return TRUE;
}

/* A small frame in each strategy, when the windows fit in it. */
static void
detect (GnetModel * model, gboolean cheap)
{
  for (guint mode = 0; mode < GNET_DETECT_MODE_COUNT; mode++) {
    GnetDetectorParams params;
    GnetDetector *d;
    GError *error = NULL;

    gnet_detector_params_init (&params);
    params.mode = mode;
    params.n_threads = 1;
    /* CAM in dense mode, plain boxes in crops: both box paths. */
    params.refine = mode == GNET_DETECT_MODE_DENSE ? GNET_REFINE_CAM
        : GNET_REFINE_NONE;
    d = gnet_detector_new (model, &params, &error);
    fuzz_check_error (d != NULL, error);
    g_clear_error (&error);
    if (d == NULL)
      return;
    if (cheap && gnet_detector_get_min_window (d) <= 48) {
      guint8 pixels[64 * 48 * 3];
      /* Packed RGB: planes 1 and 2 stay NULL, as callers leave them. */
      GnetImage image = { GNET_PIXEL_FORMAT_RGB, 64, 48, {pixels}, {64 * 3}
      };
      const GnetBox *boxes;
      guint n_boxes;
      gboolean ok;

      for (guint i = 0; i < sizeof pixels; i++)
        pixels[i] = (guint8) (i * 31);
      ok = gnet_detector_process (d, &image, &boxes, &n_boxes, &error);
      fuzz_check_error (ok, error);
      g_clear_error (&error);
      for (guint i = 0; ok && i < n_boxes; i++)
        if (boxes[i].label == NULL)
          abort ();
    }
    gnet_detector_free (d);
  }
}

/* TRUE if the model is cheap enough to run. */
static gboolean
plan_and_run (GnetModel * model)
{
  GnetTensor inputs[MAX_INPUTS];
  guint n = gnet_model_get_n_inputs (model);
  GnetSession *s;
  GError *error = NULL;
  gboolean ok, cheap = FALSE;

  if (n > MAX_INPUTS)
    return FALSE;
  memset (inputs, 0, sizeof inputs);
  for (guint i = 0; i < n; i++) {
    if (!declared_shape (model, i, &inputs[i]))
      goto out;
    /* Deterministic, varied values; int64 inputs may feed a Reshape. */
    inputs[i].data = g_malloc0 (MAX (1, gnet_tensor_numel (&inputs[i]) *
            gnet_dtype_size (inputs[i].dtype)));
    if (inputs[i].dtype == GNET_DTYPE_FLOAT32) {
      gfloat *f = inputs[i].data;
      for (gint64 k = 0; k < gnet_tensor_numel (&inputs[i]); k++)
        f[k] = (gfloat) ((k * 7919) % 17) - 8.0f;
    } else if (inputs[i].dtype == GNET_DTYPE_INT64) {
      gint64 *v = inputs[i].data;
      for (gint64 k = 0; k < gnet_tensor_numel (&inputs[i]); k++)
        v[k] = 1;
    }
  }
  s = gnet_session_new (model, 1, &error);
  fuzz_check_error (s != NULL, error);
  if (s == NULL)
    goto out;
  ok = gnet_session_plan (s, inputs, n, &error);
  fuzz_check_error (ok, error);
  g_clear_error (&error);
  if (ok && gnet_session_get_macs (s) <= MAX_RUN_MACS
      && gnet_session_get_arena_size (s) <= MAX_RUN_ARENA) {
    cheap = TRUE;
    ok = gnet_session_run (s, inputs, n, &error);
    fuzz_check_error (ok, error);
    g_clear_error (&error);
    if (gnet_session_get_n_plans (s) != 1)
      abort ();                 /* same shapes must not re-plan */
    for (guint i = 0; ok && i < gnet_session_get_n_outputs (s); i++)
      fuzz_touch (gnet_session_get_output (s, i));
  }
  gnet_session_free (s);
out:
  for (guint i = 0; i < n; i++)
    g_free (inputs[i].data);
  return cheap;
}

static void
query (const GnetModel * model)
{
  const gchar *const *keys = gnet_model_get_metadata_keys (model);
  GnetTensor info;
  const gchar *name;

  for (guint i = 0; i < gnet_model_get_n_nodes (model); i++)
    if (gnet_model_get_node_op (model, i) == NULL
        || gnet_model_get_node_name (model, i) == NULL)
      abort ();
  for (guint i = 0; i < gnet_model_get_n_outputs (model); i++)
    if (!gnet_model_get_output (model, i, &name, &info) || name == NULL)
      abort ();
  for (guint i = 0; keys[i]; i++)
    if (gnet_model_get_metadata (model, keys[i]) == NULL)
      abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  GError *error = NULL;
  GnetModel *model;

  fuzz_setup ();
  model = gnet_model_load_bytes (data, size, "fuzz.onnx", &error);
  fuzz_check_error (model != NULL, error);
  g_clear_error (&error);
  if (model == NULL)
    return 0;
  query (model);
  detect (model, plan_and_run (model));
  gnet_model_unref (model);
  return 0;
}
