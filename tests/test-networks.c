/* test-networks.c - whole GoogLeNets against references computed elsewhere.
 *
 * The fixtures (tests/fixtures/, written by make_fixtures.py) are GoogLeNet
 * at 1/8 width in the two layouts users have:
 *   caffe-googlenet.onnx      ONNX Model Zoo googlenet-12 (opset 9, LRN,
 *                             pads [0,0,1,1] pools, Reshape + Gemm + Softmax);
 *                             references from OpenCV DNN and torch, which
 *                             the script checks agree.
 *   tv-googlenet-bn.onnx      torchvision's googlenet exported with its
 *   tv-googlenet-folded.onnx  BatchNormalization nodes, and folded by the
 *                             exporter; references from PyTorch.
 * Inputs are not committed: fill_input() rebuilds them from the same
 * integer formula as googlenet.det_input().
 */
#include "gnet.h"

#include <math.h>
#include <string.h>

/* Tolerance relative to the reference's scale (max |value|, at least 1):
 * float32 through 60 layers agrees to ~1e-6 of the scale here. */
#define REL_TOL 1e-5

static gchar *
fixture (const gchar * name)
{
  const gchar *src = g_getenv ("GNET_SRCDIR");

  if (src)
    return g_build_filename (src, "tests", "fixtures", name, NULL);
  return g_test_build_filename (G_TEST_DIST, "fixtures", name, NULL);
}

static GnetModel *
load_model (const gchar * name)
{
  gchar *path = fixture (name);
  GError *error = NULL;
  GnetModel *model = gnet_model_load_file (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (model);
  g_free (path);
  return model;
}

static void
load_expected (const gchar * name, GnetTensor * t)
{
  gchar *path = fixture (name);
  GError *error = NULL;

  g_assert_true (gnet_tensor_load_file (path, t, &error));
  g_assert_no_error (error);
  g_assert_cmpint (t->dtype, ==, GNET_DTYPE_FLOAT32);
  g_free (path);
}

/* googlenet.det_input(): an integer hash of the flat index, exact in
 * float32, in [-1, 1). */
static void
fill_input (GnetTensor * t, guint n, guint c, guint h, guint w, guint32 seed)
{
  gint64 numel;
  gfloat *x;

  memset (t, 0, sizeof *t);
  t->dtype = GNET_DTYPE_FLOAT32;
  t->ndim = 4;
  t->dims[0] = n;
  t->dims[1] = c;
  t->dims[2] = h;
  t->dims[3] = w;
  numel = gnet_tensor_numel (t);
  x = g_new (gfloat, numel);
  for (gint64 i = 0; i < numel; i++) {
    guint32 hash = (guint32) i * 2654435761u + seed * 40503u + 12345u;
    x[i] = (gfloat) (hash >> 8) * (1.0f / 8388608.0f) - 1.0f;
  }
  t->data = x;
}

/* Compares `count` values of `got` (starting at got_offset) with the
 * reference, relative to the reference's scale. */
static void
assert_close (const GnetTensor * got, gint64 got_offset,
    const gfloat * ref, gint64 count, const gchar * what)
{
  const gfloat *g = (const gfloat *) got->data + got_offset;
  gdouble scale = 1.0, max_err = 0.0;

  g_assert_cmpint (got->dtype, ==, GNET_DTYPE_FLOAT32);
  g_assert_cmpint (got_offset + count, <=, gnet_tensor_numel (got));
  for (gint64 i = 0; i < count; i++)
    scale = MAX (scale, fabs (ref[i]));
  for (gint64 i = 0; i < count; i++) {
    g_assert_true (isfinite (g[i]));
    max_err = MAX (max_err, fabs ((gdouble) g[i] - ref[i]));
  }
  g_test_message ("%s: max abs error %.3g, scale %.3g", what, max_err, scale);
  if (max_err > REL_TOL * scale)
    g_error ("%s: max abs error %g exceeds %g (scale %g)", what, max_err,
        REL_TOL * scale, scale);
}

static void
assert_output_matches (GnetSession * s, guint index, const gchar * ref_file,
    gint64 batch)
{
  GnetTensor ref = { 0 };
  const GnetTensor *out = gnet_session_get_output (s, index);

  load_expected (ref_file, &ref);
  g_assert_nonnull (out);
  g_assert_cmpuint (out->ndim, ==, ref.ndim);
  g_assert_cmpmem (out->dims, out->ndim * sizeof (gint64), ref.dims,
      ref.ndim * sizeof (gint64));
  g_assert_cmpint (out->dims[0], ==, batch);
  assert_close (out, 0, ref.data, gnet_tensor_numel (&ref), ref_file);
  gnet_tensor_clear (&ref);
}

static gboolean
model_has_op (GnetModel * model, const gchar * op)
{
  for (guint i = 0; i < gnet_model_get_n_nodes (model); i++)
    if (strcmp (gnet_model_get_node_op (model, i), op) == 0)
      return TRUE;
  return FALSE;
}

/* ------------------------------------------------------------------------ */

static void
test_caffe (void)
{
  GnetModel *model = load_model ("caffe-googlenet.onnx");
  const gchar *outputs[] = { "prob_1", "loss3/classifier_1", NULL };
  GnetSession *s;
  GnetTensor x, wrong;
  GError *error = NULL;
  const gchar *name;
  GnetTensor info;

  g_assert_cmpuint (gnet_model_get_n_inputs (model), ==, 1);
  g_assert_true (gnet_model_get_input (model, 0, &name, &info));
  g_assert_cmpstr (name, ==, "data_0");
  g_assert_true (gnet_model_get_output (model, 0, &name, &info));
  g_assert_cmpstr (name, ==, "prob_1");
  g_assert_true (model_has_op (model, "LRN"));

  /* The graph output through a default session. */
  fill_input (&x, 1, 3, 224, 224, 1);
  s = gnet_session_new (model, 2, &error);
  g_assert_no_error (error);
  g_assert_true (gnet_session_run (s, &x, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (gnet_session_get_output_name (s, 0), ==, "prob_1");
  assert_output_matches (s, 0, "caffe-prob-224.npy", 1);
  gnet_session_free (s);

  /* Logits too: after the softmax small errors could hide. */
  s = gnet_session_new_with_outputs (model, outputs, 1, &error);
  g_assert_no_error (error);
  g_assert_true (gnet_session_run (s, &x, 1, &error));
  g_assert_no_error (error);
  assert_output_matches (s, 0, "caffe-prob-224.npy", 1);
  assert_output_matches (s, 1, "caffe-logits-224.npy", 1);
  g_assert_cmpuint (gnet_session_get_n_plans (s), ==, 1);

  /* Same shape again: no re-planning, same answer. */
  g_assert_true (gnet_session_run (s, &x, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (gnet_session_get_n_plans (s), ==, 1);
  assert_output_matches (s, 1, "caffe-logits-224.npy", 1);

  /* The 7x7 AveragePool + Reshape(1, -1) head only fits 224x224: another
   * size is a shape error, and the session still works afterwards. */
  fill_input (&wrong, 1, 3, 256, 320, 2);
  g_assert_false (gnet_session_run (s, &wrong, 1, &error));
  g_assert_error (error, GNET_ERROR, GNET_ERROR_SHAPE);
  g_assert_nonnull (strstr (error->message, "caffe-googlenet.onnx"));
  g_clear_error (&error);
  g_assert_true (gnet_session_run (s, &x, 1, &error));
  g_assert_no_error (error);
  assert_output_matches (s, 1, "caffe-logits-224.npy", 1);

  gnet_tensor_clear (&wrong);
  gnet_tensor_clear (&x);
  gnet_session_free (s);
  gnet_model_unref (model);
}

/* One torchvision export: 224, the same again, 256x320, batch 2, each
 * checked against PyTorch. */
static void
check_torchvision (const gchar * file, gint n_threads)
{
  GnetModel *model = load_model (file);
  GnetSession *s;
  GnetTensor x, big, pair, one, ref = { 0 };
  GError *error = NULL;
  gint64 item, classes;

  /* BN nodes are folded into the convolutions at load. */
  g_assert_false (model_has_op (model, "BatchNormalization"));

  s = gnet_session_new (model, n_threads, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gnet_session_get_n_threads (s), ==, n_threads);

  fill_input (&x, 1, 3, 224, 224, 1);
  g_assert_true (gnet_session_run (s, &x, 1, &error));
  g_assert_no_error (error);
  assert_output_matches (s, 0, "tv-logits-224.npy", 1);
  g_assert_cmpuint (gnet_session_get_n_plans (s), ==, 1);
  g_assert_true (gnet_session_run (s, &x, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (gnet_session_get_n_plans (s), ==, 1);
  assert_output_matches (s, 0, "tv-logits-224.npy", 1);

  /* Global average pooling lets the same graph take another size. */
  fill_input (&big, 1, 3, 256, 320, 2);
  g_assert_true (gnet_session_run (s, &big, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (gnet_session_get_n_plans (s), ==, 2);
  assert_output_matches (s, 0, "tv-logits-256x320.npy", 1);

  /* Batch 2: each item as PyTorch computed it ... */
  fill_input (&pair, 2, 3, 224, 224, 3);
  g_assert_true (gnet_session_run (s, &pair, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (gnet_session_get_n_plans (s), ==, 3);
  assert_output_matches (s, 0, "tv-logits-batch2.npy", 2);

  /* ... and each item run alone gives its row of the batch result. */
  load_expected ("tv-logits-batch2.npy", &ref);
  classes = ref.dims[1];
  item = gnet_tensor_numel (&x);
  one = x;
  one.data = g_new (gfloat, item);
  for (gint k = 0; k < 2; k++) {
    memcpy (one.data, (gfloat *) pair.data + k * item, item * sizeof (gfloat));
    g_assert_true (gnet_session_run (s, &one, 1, &error));
    g_assert_no_error (error);
    assert_close (gnet_session_get_output (s, 0), 0,
        (gfloat *) ref.data + k * classes, classes, "batch item alone");
  }
  /* Back at 1x3x224x224: planned again, once. */
  g_assert_cmpuint (gnet_session_get_n_plans (s), ==, 4);

  g_free (one.data);
  gnet_tensor_clear (&ref);
  gnet_tensor_clear (&pair);
  gnet_tensor_clear (&big);
  gnet_tensor_clear (&x);
  gnet_session_free (s);
  gnet_model_unref (model);
}

static void
test_tv_bn (void)
{
  check_torchvision ("tv-googlenet-bn.onnx", 1);
  check_torchvision ("tv-googlenet-bn.onnx", 2);
}

static void
test_tv_folded (void)
{
  check_torchvision ("tv-googlenet-folded.onnx", 1);
  check_torchvision ("tv-googlenet-folded.onnx", 2);
}

/* Two sessions on one model give the same results: the model is
 * read-only once loaded. */
static void
test_shared_model (void)
{
  GnetModel *model = load_model ("tv-googlenet-folded.onnx");
  GnetSession *a, *b;
  GnetTensor x, y;
  GError *error = NULL;
  const GnetTensor *oa, *ob;

  fill_input (&x, 1, 3, 224, 224, 1);
  fill_input (&y, 1, 3, 256, 320, 2);
  a = gnet_session_new (model, 1, &error);
  g_assert_no_error (error);
  b = gnet_session_new (model, 1, &error);
  g_assert_no_error (error);
  g_assert_true (gnet_session_run (a, &x, 1, &error));
  g_assert_true (gnet_session_run (b, &y, 1, &error));
  g_assert_true (gnet_session_run (a, &x, 1, &error));
  g_assert_no_error (error);
  assert_output_matches (a, 0, "tv-logits-224.npy", 1);
  assert_output_matches (b, 0, "tv-logits-256x320.npy", 1);
  oa = gnet_session_get_output (a, 0);
  ob = gnet_session_get_output (b, 0);
  g_assert_true (oa->data != ob->data);

  gnet_session_free (a);
  gnet_session_free (b);
  gnet_tensor_clear (&x);
  gnet_tensor_clear (&y);
  gnet_model_unref (model);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/networks/caffe-googlenet", test_caffe);
  g_test_add_func ("/networks/torchvision-bn", test_tv_bn);
  g_test_add_func ("/networks/torchvision-folded", test_tv_folded);
  g_test_add_func ("/networks/shared-model", test_shared_model);
  return g_test_run ();
}
