/* test-cli.c - the gnet tool as a user runs it: exit codes, messages, and
 * `gnet run` output checked against PyTorch (tests/fixtures/tv-*-64.npy).
 *
 * The tool's path comes from GNET_TOOL, the fixtures from GNET_SRCDIR
 * (both set by tools/meson.build).
 */
#include "gnet.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static gchar *
fixture (const gchar * name)
{
  return g_build_filename (g_getenv ("GNET_SRCDIR"), "tests", "fixtures",
      name, NULL);
}

/* Runs gnet with the NULL-terminated arguments; returns the exit status and
 * the captured output. */
static gint
run_tool (gchar ** out, gchar ** err, ...)
{
  GPtrArray *argv = g_ptr_array_new ();
  GError *error = NULL;
  const gchar *arg;
  gint status;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) g_getenv ("GNET_TOOL"));
  va_start (ap, err);
  while ((arg = va_arg (ap, const gchar *)))
      g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  g_assert_true (g_spawn_sync (NULL, (gchar **) argv->pdata, NULL,
          G_SPAWN_DEFAULT, NULL, NULL, out, err, &status, &error));
  g_assert_no_error (error);
  g_ptr_array_unref (argv);
  /* In the log, so a wrong exit status can be told apart from, say, a
   * sanitizer runtime's own failure. */
  if (*err != NULL && **err != '\0')
    g_test_message ("gnet's stderr: %s", *err);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

static void
test_usage (void)
{
  gchar *out, *err;

  g_assert_cmpint (run_tool (&out, &err, NULL), ==, 2);
  g_assert_nonnull (strstr (err, "Usage"));
  g_free (out);
  g_free (err);
  g_assert_cmpint (run_tool (&out, &err, "frobnicate", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "frobnicate"));
  g_free (out);
  g_free (err);
  g_assert_cmpint (run_tool (&out, &err, "bench", "--runs", "zero", "m",
          NULL), ==, 2);
  g_free (out);
  g_free (err);
  g_assert_cmpint (run_tool (&out, &err, "run", "model.onnx", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "-o"));
  g_free (out);
  g_free (err);
  g_assert_cmpint (run_tool (&out, &err, "--help", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "bench"));
  g_free (out);
  g_free (err);
}

static void
test_errors (void)
{
  gchar *model = fixture ("tv-googlenet-folded.onnx");
  gchar *input = fixture ("tv-input-64.npy");
  gchar *dir = g_dir_make_tmp ("gnet-cli-XXXXXX", NULL);
  gchar *out, *err;

  /* A missing model: exit 1 with the file named. */
  g_assert_cmpint (run_tool (&out, &err, "info", "/nonexistent.onnx", NULL),
      ==, 1);
  g_assert_nonnull (strstr (err, "/nonexistent.onnx"));
  g_free (out);
  g_free (err);

  /* A tensor given where a model is expected. */
  g_assert_cmpint (run_tool (&out, &err, "info", input, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "tv-input-64.npy"));
  g_free (out);
  g_free (err);

  /* A model given where a tensor is expected. */
  g_assert_cmpint (run_tool (&out, &err, "run", model, model, "-o", dir,
          NULL), ==, 1);
  g_assert_nonnull (strstr (err, "tv-googlenet-folded.onnx"));
  g_free (out);
  g_free (err);

  /* Wrong number of inputs is a usage error naming the graph inputs. */
  g_assert_cmpint (run_tool (&out, &err, "run", model, input, input, "-o",
          dir, NULL), ==, 2);
  g_assert_nonnull (strstr (err, "input"));
  g_free (out);
  g_free (err);

  /* An --output the graph does not compute. */
  g_assert_cmpint (run_tool (&out, &err, "run", model, input, "-o", dir,
          "--output", "no-such-value", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "no-such-value"));
  g_free (out);
  g_free (err);

  g_rmdir (dir);
  g_free (dir);
  g_free (model);
  g_free (input);
}

static void
test_info (void)
{
  gchar *model = fixture ("tv-googlenet-bn.onnx");
  gchar *out, *err;

  g_assert_cmpint (run_tool (&out, &err, "info", model, "--shape",
          "1,3,64,64", NULL), ==, 0);
  /* BN folded at load: 57 convolutions, no BatchNormalization left. */
  g_assert_nonnull (strstr (out, "Conv"));
  g_assert_null (strstr (out, "BatchNormalization"));
  g_assert_nonnull (strstr (out, "1x3x64x64"));
  g_assert_nonnull (strstr (out, "MACs"));
  g_assert_nonnull (strstr (out, "logits"));
  g_free (out);
  g_free (err);
  g_free (model);
}

static void
compare_npy (const gchar * got_path, const gchar * ref_name)
{
  gchar *ref_path = fixture (ref_name);
  GnetTensor got = { 0 }, ref = { 0 };
  GError *error = NULL;
  gdouble scale = 1.0, err = 0.0;
  const gfloat *g, *r;

  g_assert_true (gnet_tensor_load_file (got_path, &got, &error));
  g_assert_no_error (error);
  g_assert_true (gnet_tensor_load_file (ref_path, &ref, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (got.ndim, ==, ref.ndim);
  g_assert_cmpmem (got.dims, got.ndim * sizeof (gint64), ref.dims,
      ref.ndim * sizeof (gint64));
  g = got.data;
  r = ref.data;
  for (gint64 i = 0; i < gnet_tensor_numel (&ref); i++)
    scale = MAX (scale, fabs (r[i]));
  for (gint64 i = 0; i < gnet_tensor_numel (&ref); i++)
    err = MAX (err, fabs ((gdouble) g[i] - r[i]));
  g_assert_cmpfloat (err, <=, 1e-5 * scale);
  gnet_tensor_clear (&got);
  gnet_tensor_clear (&ref);
  g_free (ref_path);
}

static void
test_run (void)
{
  gchar *model = fixture ("tv-googlenet-folded.onnx");
  gchar *input = fixture ("tv-input-64.npy");
  gchar *dir = g_dir_make_tmp ("gnet-cli-XXXXXX", NULL);
  gchar *sub = g_build_filename (dir, "a", "b", NULL);
  gchar *logits = g_build_filename (sub, "logits.npy", NULL);
  gchar *feature = g_build_filename (sub, "_inception5b_Concat_output_0.npy",
      NULL);
  gchar *out, *err;
  GnetTensor t = { 0 };
  GError *error = NULL;

  /* The output directory is created; the output matches PyTorch. */
  g_assert_cmpint (run_tool (&out, &err, "run", model, input, "-o", sub,
          "--threads", "1", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "logits.npy"));
  compare_npy (logits, "tv-logits-64.npy");
  g_free (out);
  g_free (err);

  /* An intermediate value, its '/'s made file-name safe, next to the
   * logits when both are asked for. */
  g_unlink (logits);
  g_assert_cmpint (run_tool (&out, &err, "run", model, input, "-o", sub,
          "--output", "/inception5b/Concat_output_0", "--output", "logits",
          NULL), ==, 0);
  compare_npy (logits, "tv-logits-64.npy");
  g_assert_true (gnet_tensor_load_file (feature, &t, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (t.ndim, ==, 4);
  g_assert_cmpint (t.dims[0], ==, 1);
  g_assert_cmpint (t.dims[2], ==, 2);
  g_assert_cmpint (t.dims[3], ==, 2);
  gnet_tensor_clear (&t);
  g_free (out);
  g_free (err);

  g_unlink (logits);
  g_unlink (feature);
  g_rmdir (sub);
  *strrchr (sub, G_DIR_SEPARATOR) = '\0';
  g_rmdir (sub);
  g_rmdir (dir);
  g_free (feature);
  g_free (logits);
  g_free (sub);
  g_free (dir);
  g_free (input);
  g_free (model);
}

/* Two graph inputs given as TensorProto files, in graph-input order; the
 * reference is the ONNX test suite's own output_0.pb. */
static void
test_run_pb (void)
{
  const gchar *base = "/usr/share/libonnx-testdata/data/node/"
      "test_conv_with_strides_padding";
  gchar *model = g_build_filename (base, "model.onnx", NULL);
  gchar *set = g_build_filename (base, "test_data_set_0", NULL);
  gchar *in0 = g_build_filename (set, "input_0.pb", NULL);
  gchar *in1 = g_build_filename (set, "input_1.pb", NULL);
  gchar *ref_path = g_build_filename (set, "output_0.pb", NULL);
  gchar *dir = NULL, *y = NULL;
  GnetTensor got = { 0 }, ref = { 0 };
  GError *error = NULL;
  gchar *out, *err;

  if (!g_file_test (model, G_FILE_TEST_EXISTS)) {
    g_test_skip ("libonnx-testdata is not installed");
    goto out;
  }
  dir = g_dir_make_tmp ("gnet-cli-XXXXXX", NULL);
  y = g_build_filename (dir, "y.npy", NULL);
  g_assert_cmpint (run_tool (&out, &err, "run", model, in0, in1, "-o", dir,
          NULL), ==, 0);
  g_free (out);
  g_free (err);
  g_assert_true (gnet_tensor_load_file (y, &got, &error));
  g_assert_no_error (error);
  g_assert_true (gnet_tensor_load_file (ref_path, &ref, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (got.ndim, ==, ref.ndim);
  g_assert_cmpmem (got.dims, got.ndim * sizeof (gint64), ref.dims,
      ref.ndim * sizeof (gint64));
  for (gint64 i = 0; i < gnet_tensor_numel (&ref); i++)
    g_assert_cmpfloat_with_epsilon (((gfloat *) got.data)[i],
        ((gfloat *) ref.data)[i], 1e-4);
  gnet_tensor_clear (&got);
  gnet_tensor_clear (&ref);
  g_unlink (y);
  g_rmdir (dir);

out:
  g_free (y);
  g_free (dir);
  g_free (ref_path);
  g_free (in1);
  g_free (in0);
  g_free (set);
  g_free (model);
}

static void
test_bench (void)
{
  gchar *model = fixture ("tv-googlenet-folded.onnx");
  gchar *out, *err;

  g_assert_cmpint (run_tool (&out, &err, "bench", model, "--shape",
          "2,3,64,64", "--runs", "2", "--warmup", "1", "--threads", "1",
          NULL), ==, 0);
  g_assert_nonnull (strstr (out, "2x3x64x64"));
  g_assert_nonnull (strstr (out, "median"));
  g_assert_nonnull (strstr (out, "GFLOP/s"));
  g_free (out);
  g_free (err);
  /* A shape the graph cannot take is an error, not a crash. */
  g_assert_cmpint (run_tool (&out, &err, "bench", model, "--shape",
          "1,4,64,64", "--runs", "1", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "tv-googlenet-folded.onnx"));
  g_free (out);
  g_free (err);
  g_free (model);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("GNET_TOOL") == NULL || g_getenv ("GNET_SRCDIR") == NULL) {
    g_printerr ("set GNET_TOOL and GNET_SRCDIR\n");
    return 77;
  }
  g_test_add_func ("/cli/usage", test_usage);
  g_test_add_func ("/cli/errors", test_errors);
  g_test_add_func ("/cli/info", test_info);
  g_test_add_func ("/cli/run", test_run);
  g_test_add_func ("/cli/run-pb", test_run_pb);
  g_test_add_func ("/cli/bench", test_bench);
  return g_test_run ();
}
