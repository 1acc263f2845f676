/* test-model.c - loader, planner and session: behaviour and every error
 * path a user can reach with a bad file or bad inputs.
 *
 * Fixtures: the .onnx files in tests/fixtures/errors/, written by
 * make_error_models.py in
 * the same folder.
 */
#include <math.h>
#include <string.h>

#include "gnet.h"

static gchar *
fixture (const gchar * name)
{
  const gchar *src = g_getenv ("GNET_SRCDIR");

  return g_build_filename (src ? src : "..", "tests", "fixtures", "errors",
      name, NULL);
}

static GnetModel *
load (const gchar * name, GError ** error)
{
  gchar *path = fixture (name);
  GnetModel *m = gnet_model_load_file (path, error);

  g_free (path);
  return m;
}

/* Loading must fail with this code, and the message must mention every
 * word given. */
static void
assert_load_fails (const gchar * name, gint code, ...)
{
  GError *error = NULL;
  GnetModel *m = load (name, &error);
  va_list ap;
  const gchar *word;

  g_assert_null (m);
  g_assert_error (error, GNET_ERROR, code);
  g_assert_nonnull (strstr (error->message, name));
  va_start (ap, code);
  while ((word = va_arg (ap, const gchar *)))
    if (!strstr (error->message, word))
      g_error ("'%s' not in message: %s", word, error->message);
  va_end (ap);
  g_error_free (error);
}

static void
test_missing_file (void)
{
  GError *error = NULL;

  g_assert_null (gnet_model_load_file ("/nonexistent/model.onnx", &error));
  g_assert_error (error, GNET_ERROR, GNET_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/nonexistent/model.onnx"));
  g_error_free (error);
}

static void
test_garbage (void)
{
  const gchar *text = "this is not an onnx model\n";
  GError *error = NULL;

  g_assert_null (gnet_model_load_bytes ((const guint8 *) "", 0, "empty",
          &error));
  g_assert_error (error, GNET_ERROR, GNET_ERROR_PARSE);
  g_clear_error (&error);
  g_assert_null (gnet_model_load_bytes ((const guint8 *) text, strlen (text),
          "text.onnx", &error));
  g_assert_error (error, GNET_ERROR, GNET_ERROR_PARSE);
  g_assert_nonnull (strstr (error->message, "text.onnx"));
  g_clear_error (&error);
}

/* Every prefix of a valid file either loads or fails cleanly. */
static void
test_truncated (void)
{
  gchar *path = fixture ("relu_ok.onnx"), *bytes;
  gsize len, n_failed = 0;

  g_assert_true (g_file_get_contents (path, &bytes, &len, NULL));
  for (gsize cut = 0; cut < len; cut++) {
    GError *error = NULL;
    GnetModel *m = gnet_model_load_bytes ((const guint8 *) bytes, cut,
        "cut.onnx", &error);
    if (m == NULL) {
      g_assert_nonnull (error);
      g_assert_true (error->domain == GNET_ERROR);
      n_failed++;
      g_error_free (error);
    }
    gnet_model_unref (m);
  }
  /* Half the file cannot be a model with a graph, an opset and a node. */
  g_assert_cmpuint (n_failed, >, len / 2);
  g_free (bytes);
  g_free (path);
}

static void
test_graph_errors (void)
{
  assert_load_fails ("unsupported_op.onnx", GNET_ERROR_UNSUPPORTED_OP,
      "squash", "Tanh", NULL);
  assert_load_fails ("custom_domain.onnx", GNET_ERROR_UNSUPPORTED_OP,
      "fused", "com.microsoft", NULL);
  assert_load_fails ("opset_too_old.onnx", GNET_ERROR_UNSUPPORTED, "opset 5",
      NULL);
  assert_load_fails ("cycle.onnx", GNET_ERROR_GRAPH, "cycle", NULL);
  assert_load_fails ("dangling.onnx", GNET_ERROR_GRAPH, "adder", "nowhere",
      NULL);
  assert_load_fails ("duplicate_output.onnx", GNET_ERROR_GRAPH, "'t'", NULL);
  assert_load_fails ("wrong_input_count.onnx", GNET_ERROR_GRAPH, "relu2",
      NULL);
  assert_load_fails ("missing_output.onnx", GNET_ERROR_GRAPH, "'y'", NULL);
}

static void
test_tensor_errors (void)
{
  assert_load_fails ("raw_data_short.onnx", GNET_ERROR_PARSE, "'w'",
      "raw data", NULL);
  assert_load_fails ("huge_dims.onnx", GNET_ERROR_PARSE, "'w'", NULL);
  assert_load_fails ("external_data.onnx", GNET_ERROR_UNSUPPORTED, "external",
      NULL);
  assert_load_fails ("uint8_input.onnx", GNET_ERROR_UNSUPPORTED, "uint8",
      NULL);
}

static void
test_attribute_errors (void)
{
  assert_load_fails ("bad_attr_type.onnx", GNET_ERROR_ATTRIBUTE, "conv1",
      "kernel_shape", NULL);
  assert_load_fails ("bad_attr_value.onnx", GNET_ERROR_ATTRIBUTE, "conv1",
      "pads", NULL);
}

static GnetTensor
make_input (gint64 n, gint64 c, gint64 h, gint64 w, gfloat * data)
{
  GnetTensor t = { GNET_DTYPE_FLOAT32, 4, {n, c, h, w}, data };

  return t;
}

/* Errors found when planning: they name the node. */
static void
test_shape_errors (void)
{
  GError *error = NULL;
  GnetModel *m = load ("shape_mismatch.onnx", &error);
  GnetSession *s;
  gfloat a[8] = { 0 };
  GnetTensor in = { GNET_DTYPE_FLOAT32, 2, {1, 8}, a };

  g_assert_no_error (error);
  s = gnet_session_new (m, 1, &error);
  g_assert_no_error (error);
  g_assert_false (gnet_session_run (s, &in, 1, &error));
  g_assert_error (error, GNET_ERROR, GNET_ERROR_SHAPE);
  g_assert_nonnull (strstr (error->message, "'fc'"));
  g_clear_error (&error);
  gnet_session_free (s);
  gnet_model_unref (m);

  m = load ("group_mismatch.onnx", &error);
  g_assert_no_error (error);
  s = gnet_session_new (m, 1, &error);
  {
    gfloat x[48] = { 0 };
    GnetTensor xin = make_input (1, 3, 4, 4, x);
    g_assert_false (gnet_session_plan (s, &xin, 1, &error));
  }
  g_assert_error (error, GNET_ERROR, GNET_ERROR_SHAPE);
  g_assert_nonnull (strstr (error->message, "'conv1'"));
  g_clear_error (&error);
  gnet_session_free (s);
  gnet_model_unref (m);
}

static void
test_input_errors (void)
{
  GError *error = NULL;
  GnetModel *m = load ("relu_ok.onnx", &error);
  GnetSession *s = gnet_session_new (m, 1, &error);
  gfloat x[48] = { 0 };
  GnetTensor in = make_input (1, 3, 4, 4, x);
  GnetTensor two[2] = { in, in };
  GnetTensor rank3 = { GNET_DTYPE_FLOAT32, 3, {3, 4, 4}, x };
  GnetTensor ints = { GNET_DTYPE_INT64, 4, {1, 3, 4, 4}, x };

  g_assert_no_error (error);
  g_assert_false (gnet_session_run (s, two, 2, &error));
  g_assert_error (error, GNET_ERROR, GNET_ERROR_INPUT);
  g_clear_error (&error);
  g_assert_false (gnet_session_run (s, &rank3, 1, &error));
  g_assert_error (error, GNET_ERROR, GNET_ERROR_INPUT);
  g_assert_nonnull (strstr (error->message, "rank"));
  g_clear_error (&error);
  g_assert_false (gnet_session_run (s, &ints, 1, &error));
  g_assert_error (error, GNET_ERROR, GNET_ERROR_INPUT);
  g_clear_error (&error);
  g_assert_true (gnet_session_run (s, &in, 1, &error));
  g_assert_no_error (error);
  gnet_session_free (s);

  {
    const gchar *names[] = { "no_such_tensor", NULL };
    s = gnet_session_new_with_outputs (m, names, 1, &error);
    g_assert_null (s);
    g_assert_error (error, GNET_ERROR, GNET_ERROR_GRAPH);
    g_assert_nonnull (strstr (error->message, "no_such_tensor"));
    g_clear_error (&error);
  }
  gnet_model_unref (m);
}

/* Same shape: no re-plan; new shape: re-plan, still right. */
static void
test_replan (void)
{
  GError *error = NULL;
  GnetModel *m = load ("relu_ok.onnx", &error);
  GnetSession *s = gnet_session_new (m, 1, &error);
  gfloat x[3 * 8 * 8];
  const GnetTensor *out;

  for (guint i = 0; i < G_N_ELEMENTS (x); i++)
    x[i] = (gfloat) i - 50.0f;
  for (guint round = 0; round < 3; round++) {
    GnetTensor in = make_input (1, 3, 4, 4, x);
    g_assert_true (gnet_session_run (s, &in, 1, &error));
    g_assert_no_error (error);
  }
  g_assert_cmpuint (gnet_session_get_n_plans (s), ==, 1);
  {
    GnetTensor in = make_input (1, 3, 8, 8, x);
    g_assert_true (gnet_session_run (s, &in, 1, &error));
  }
  g_assert_cmpuint (gnet_session_get_n_plans (s), ==, 2);
  out = gnet_session_get_output (s, 0);
  g_assert_cmpuint (out->ndim, ==, 4);
  g_assert_cmpint (out->dims[3], ==, 8);
  for (guint i = 0; i < G_N_ELEMENTS (x); i++)
    g_assert_cmpfloat (((gfloat *) out->data)[i], ==, MAX (x[i], 0.0f));
  gnet_session_free (s);
  gnet_model_unref (m);
}

static void
test_metadata (void)
{
  GError *error = NULL;
  GnetModel *m = load ("relu_ok.onnx", &error);
  const gchar *const *keys;
  const gchar *name;
  GnetTensor info;

  g_assert_no_error (error);
  g_assert_cmpstr (gnet_model_get_metadata (m, "labels"), ==, "cat\ndog");
  g_assert_cmpstr (gnet_model_get_metadata (m, "color_order"), ==, "RGB");
  g_assert_null (gnet_model_get_metadata (m, "mean"));
  keys = gnet_model_get_metadata_keys (m);
  g_assert_cmpstr (keys[0], ==, "labels");
  g_assert_cmpstr (keys[1], ==, "color_order");
  g_assert_null (keys[2]);
  g_assert_cmpuint (gnet_model_get_n_inputs (m), ==, 1);
  g_assert_true (gnet_model_get_input (m, 0, &name, &info));
  g_assert_cmpstr (name, ==, "x");
  g_assert_cmpuint (info.ndim, ==, 4);
  g_assert_cmpint (info.dims[1], ==, 3);
  g_assert_false (gnet_model_get_input (m, 1, &name, &info));
  g_assert_cmpint (gnet_model_get_opset (m), ==, 13);
  gnet_model_unref (m);
}

/* Conv -> BatchNormalization -> Relu becomes one Conv; its output must match
 * the three steps computed directly. */
static void
test_batchnorm_folding (void)
{
  GError *error = NULL;
  GnetModel *m = load ("conv_bn_relu.onnx", &error);
  GnetSession *s;
  gfloat x[48];
  GnetTensor in = make_input (1, 3, 4, 4, x);
  /* Expected output computed by the fixture script with numpy, step by
   * step (convolution, batch norm, relu), for x[i] = sin(0.7 i). */
  gchar *path = fixture ("conv_bn_relu.ref");
  gchar *ref_text;
  gchar **tokens;
  const GnetTensor *out;
  guint n;

  g_assert_no_error (error);
  g_assert_cmpuint (gnet_model_get_n_nodes (m), ==, 1);
  g_assert_cmpstr (gnet_model_get_node_op (m, 0), ==, "Conv");
  for (guint i = 0; i < 48; i++)
    x[i] = sinf (i * 0.7f);
  s = gnet_session_new (m, 1, &error);
  g_assert_true (gnet_session_run (s, &in, 1, &error));
  g_assert_no_error (error);
  out = gnet_session_get_output (s, 0);
  g_assert_cmpint (gnet_tensor_numel (out), ==, 64);

  g_assert_true (g_file_get_contents (path, &ref_text, NULL, NULL));
  tokens = g_strsplit_set (g_strstrip (ref_text), " \n", -1);
  n = g_strv_length (tokens);
  g_assert_cmpuint (n, ==, 64);
  for (guint i = 0; i < n; i++) {
    gdouble want = g_ascii_strtod (tokens[i], NULL);
    g_assert_cmpfloat_with_epsilon (((gfloat *) out->data)[i], want,
        1e-4 * MAX (1.0, fabs (want)));
  }
  g_strfreev (tokens);
  g_free (ref_text);
  g_free (path);
  gnet_session_free (s);
  gnet_model_unref (m);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/model/missing-file", test_missing_file);
  g_test_add_func ("/model/garbage", test_garbage);
  g_test_add_func ("/model/truncated", test_truncated);
  g_test_add_func ("/model/graph-errors", test_graph_errors);
  g_test_add_func ("/model/tensor-errors", test_tensor_errors);
  g_test_add_func ("/model/attribute-errors", test_attribute_errors);
  g_test_add_func ("/model/metadata", test_metadata);
  g_test_add_func ("/session/shape-errors", test_shape_errors);
  g_test_add_func ("/session/input-errors", test_input_errors);
  g_test_add_func ("/session/replan", test_replan);
  g_test_add_func ("/session/batchnorm-folding", test_batchnorm_folding);
  return g_test_run ();
}
