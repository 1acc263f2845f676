/* test-conformance.c - ONNX's own backend node tests (Debian's
 * libonnx-testdata) for the operators gnet implements: each model is loaded
 * with gnet_model_load_file, its test_data_set_0 inputs read with
 * gnet_tensor_load_file, run with gnet_session_run, and every output
 * compared with the expected one (|got - want| <= 1e-5 + 1e-4 |want|;
 * integers and booleans exactly).
 *
 * Every test directory whose name starts with one of our operators is listed
 * in `cases` below, and /conformance/coverage fails when one is missing, so
 * a new testdata release cannot silently skip a case.  Cases gnet does not
 * run are not skipped: each asserts the clean error a user would get.
 *
 *   test directory                          expected   why
 *   --------------------------------------  ---------  --------------------
 *   averagepool_1d_default                  UNSUPP     1-D pooling
 *   averagepool_3d_default                  UNSUPP     3-D pooling
 *   maxpool_1d_default                      UNSUPP     1-D pooling
 *   maxpool_3d_default                      UNSUPP     3-D pooling
 *   maxpool_2d_uint8                        UNSUPP     uint8 tensors
 *   maxpool_with_argmax_2d_precomputed_*    UNSUPP     Indices output
 *   add_uint8                               UNSUPP     uint8 tensors
 *   clip_default_int8_{inbounds,max,min}    UNSUPP     int8 tensors
 *   batchnorm_*_training_mode               UNSUPP     training (running
 *                                                      mean/var outputs)
 *   training_dropout*                       UNSUPP     training_mode = true
 *   identity_opt                            UNSUPP     optional type
 *   identity_sequence                       UNSUPP     sequence type
 *   softmax_*_expanded                      UNSUPP_OP  ReduceMax, ReduceSum,
 *                                                      Exp, Sub, Div
 *   basic_convinteger, convinteger_*        UNSUPP     uint8 tensors
 *                                                      (ConvInteger)
 *   matmulinteger                           UNSUPP     uint8 (MatMulInteger)
 *   convtranspose*                          UNSUPP_OP  ConvTranspose
 *   constant_pad                            UNSUPP_OP  Pad
 *   constantofshape_float_ones              UNSUPP_OP  ConstantOfShape
 *   constantofshape_int_*                   UNSUPP_OP  ConstantOfShape
 *                                                      attribute is refused
 *                                                      before the operator
 *   globalaveragepool{,_precomputed}        UNSUPP     opset-1 models; gnet
 *                                                      loads opsets 7 to 17
 *                                                      (the op itself is
 *                                                      checked in test-ops)
 *
 * Everything else (the 2-D float cases of Conv, MaxPool, AveragePool,
 * GlobalAveragePool, LRN, Concat, Gemm, MatMul, Flatten, Reshape, Dropout,
 * Softmax, BatchNormalization, Add, Clip, Sigmoid, Relu, Identity, Constant)
 * must match.
 */
#include <math.h>
#include <string.h>

#include "gnet.h"

#define TESTDATA "/usr/share/libonnx-testdata/data/node"

#define PASS (-1)

typedef struct
{
  const gchar *name;            /* directory without the "test_" prefix */
  gint expect;                  /* PASS or the GnetError of load or run */
} ConformanceCase;

static const ConformanceCase cases[] = {
  {"add", PASS},
  {"add_bcast", PASS},
  {"add_uint8", GNET_ERROR_UNSUPPORTED},
  {"averagepool_1d_default", GNET_ERROR_UNSUPPORTED},
  {"averagepool_2d_ceil", PASS},
  {"averagepool_2d_default", PASS},
  {"averagepool_2d_pads", PASS},
  {"averagepool_2d_pads_count_include_pad", PASS},
  {"averagepool_2d_precomputed_pads", PASS},
  {"averagepool_2d_precomputed_pads_count_include_pad", PASS},
  {"averagepool_2d_precomputed_same_upper", PASS},
  {"averagepool_2d_precomputed_strides", PASS},
  {"averagepool_2d_same_lower", PASS},
  {"averagepool_2d_same_upper", PASS},
  {"averagepool_2d_strides", PASS},
  {"averagepool_3d_default", GNET_ERROR_UNSUPPORTED},
  {"basic_conv_with_padding", PASS},
  {"basic_conv_without_padding", PASS},
  {"basic_convinteger", GNET_ERROR_UNSUPPORTED},
  {"batchnorm_epsilon", PASS},
  {"batchnorm_epsilon_training_mode", GNET_ERROR_UNSUPPORTED},
  {"batchnorm_example", PASS},
  {"batchnorm_example_training_mode", GNET_ERROR_UNSUPPORTED},
  {"clip", PASS},
  {"clip_default_inbounds", PASS},
  {"clip_default_int8_inbounds", GNET_ERROR_UNSUPPORTED},
  {"clip_default_int8_max", GNET_ERROR_UNSUPPORTED},
  {"clip_default_int8_min", GNET_ERROR_UNSUPPORTED},
  {"clip_default_max", PASS},
  {"clip_default_min", PASS},
  {"clip_example", PASS},
  {"clip_inbounds", PASS},
  {"clip_outbounds", PASS},
  {"clip_splitbounds", PASS},
  {"concat_1d_axis_0", PASS},
  {"concat_1d_axis_negative_1", PASS},
  {"concat_2d_axis_0", PASS},
  {"concat_2d_axis_1", PASS},
  {"concat_2d_axis_negative_1", PASS},
  {"concat_2d_axis_negative_2", PASS},
  {"concat_3d_axis_0", PASS},
  {"concat_3d_axis_1", PASS},
  {"concat_3d_axis_2", PASS},
  {"concat_3d_axis_negative_1", PASS},
  {"concat_3d_axis_negative_2", PASS},
  {"concat_3d_axis_negative_3", PASS},
  {"constant", PASS},
  {"constant_pad", GNET_ERROR_UNSUPPORTED_OP},
  {"constantofshape_float_ones", GNET_ERROR_UNSUPPORTED_OP},
  {"constantofshape_int_shape_zero", GNET_ERROR_UNSUPPORTED_OP},
  {"constantofshape_int_zeros", GNET_ERROR_UNSUPPORTED_OP},
  {"conv_with_autopad_same", PASS},
  {"conv_with_strides_and_asymmetric_padding", PASS},
  {"conv_with_strides_no_padding", PASS},
  {"conv_with_strides_padding", PASS},
  {"convinteger_with_padding", GNET_ERROR_UNSUPPORTED},
  {"convinteger_without_padding", GNET_ERROR_UNSUPPORTED},
  {"convtranspose", GNET_ERROR_UNSUPPORTED_OP},
  {"convtranspose_1d", GNET_ERROR_UNSUPPORTED_OP},
  {"convtranspose_3d", GNET_ERROR_UNSUPPORTED_OP},
  {"convtranspose_autopad_same", GNET_ERROR_UNSUPPORTED_OP},
  {"convtranspose_dilations", GNET_ERROR_UNSUPPORTED_OP},
  {"convtranspose_kernel_shape", GNET_ERROR_UNSUPPORTED_OP},
  {"convtranspose_output_shape", GNET_ERROR_UNSUPPORTED_OP},
  {"convtranspose_pad", GNET_ERROR_UNSUPPORTED_OP},
  {"convtranspose_pads", GNET_ERROR_UNSUPPORTED_OP},
  {"convtranspose_with_kernel", GNET_ERROR_UNSUPPORTED_OP},
  {"dropout_default", PASS},
  {"dropout_default_mask", PASS},
  {"dropout_default_mask_ratio", PASS},
  {"dropout_default_old", PASS},
  {"dropout_default_ratio", PASS},
  {"dropout_random_old", PASS},
  {"flatten_axis0", PASS},
  {"flatten_axis1", PASS},
  {"flatten_axis2", PASS},
  {"flatten_axis3", PASS},
  {"flatten_default_axis", PASS},
  {"flatten_negative_axis1", PASS},
  {"flatten_negative_axis2", PASS},
  {"flatten_negative_axis3", PASS},
  {"flatten_negative_axis4", PASS},
  {"gemm_all_attributes", PASS},
  {"gemm_alpha", PASS},
  {"gemm_beta", PASS},
  {"gemm_default_matrix_bias", PASS},
  {"gemm_default_no_bias", PASS},
  {"gemm_default_scalar_bias", PASS},
  {"gemm_default_single_elem_vector_bias", PASS},
  {"gemm_default_vector_bias", PASS},
  {"gemm_default_zero_bias", PASS},
  {"gemm_transposeA", PASS},
  {"gemm_transposeB", PASS},
  {"globalaveragepool", GNET_ERROR_UNSUPPORTED},
  {"globalaveragepool_precomputed", GNET_ERROR_UNSUPPORTED},
  {"identity", PASS},
  {"identity_opt", GNET_ERROR_UNSUPPORTED},
  {"identity_sequence", GNET_ERROR_UNSUPPORTED},
  {"lrn", PASS},
  {"lrn_default", PASS},
  {"matmul_2d", PASS},
  {"matmul_3d", PASS},
  {"matmul_4d", PASS},
  {"matmulinteger", GNET_ERROR_UNSUPPORTED},
  {"maxpool_1d_default", GNET_ERROR_UNSUPPORTED},
  {"maxpool_2d_ceil", PASS},
  {"maxpool_2d_default", PASS},
  {"maxpool_2d_dilations", PASS},
  {"maxpool_2d_pads", PASS},
  {"maxpool_2d_precomputed_pads", PASS},
  {"maxpool_2d_precomputed_same_upper", PASS},
  {"maxpool_2d_precomputed_strides", PASS},
  {"maxpool_2d_same_lower", PASS},
  {"maxpool_2d_same_upper", PASS},
  {"maxpool_2d_strides", PASS},
  {"maxpool_2d_uint8", GNET_ERROR_UNSUPPORTED},
  {"maxpool_3d_default", GNET_ERROR_UNSUPPORTED},
  {"maxpool_with_argmax_2d_precomputed_pads", GNET_ERROR_UNSUPPORTED},
  {"maxpool_with_argmax_2d_precomputed_strides", GNET_ERROR_UNSUPPORTED},
  {"relu", PASS},
  {"reshape_allowzero_reordered", PASS},
  {"reshape_extended_dims", PASS},
  {"reshape_negative_dim", PASS},
  {"reshape_negative_extended_dims", PASS},
  {"reshape_one_dim", PASS},
  {"reshape_reduced_dims", PASS},
  {"reshape_reordered_all_dims", PASS},
  {"reshape_reordered_last_dims", PASS},
  {"reshape_zero_and_negative_dim", PASS},
  {"reshape_zero_dim", PASS},
  {"sigmoid", PASS},
  {"sigmoid_example", PASS},
  {"softmax_axis_0", PASS},
  {"softmax_axis_0_expanded", GNET_ERROR_UNSUPPORTED_OP},
  {"softmax_axis_1", PASS},
  {"softmax_axis_1_expanded", GNET_ERROR_UNSUPPORTED_OP},
  {"softmax_axis_2", PASS},
  {"softmax_axis_2_expanded", GNET_ERROR_UNSUPPORTED_OP},
  {"softmax_default_axis", PASS},
  {"softmax_default_axis_expanded", GNET_ERROR_UNSUPPORTED_OP},
  {"softmax_example", PASS},
  {"softmax_example_expanded", GNET_ERROR_UNSUPPORTED_OP},
  {"softmax_large_number", PASS},
  {"softmax_large_number_expanded", GNET_ERROR_UNSUPPORTED_OP},
  {"softmax_negative_axis", PASS},
  {"softmax_negative_axis_expanded", GNET_ERROR_UNSUPPORTED_OP},
  {"training_dropout", GNET_ERROR_UNSUPPORTED},
  {"training_dropout_default", GNET_ERROR_UNSUPPORTED},
  {"training_dropout_default_mask", GNET_ERROR_UNSUPPORTED},
  {"training_dropout_mask", GNET_ERROR_UNSUPPORTED},
  {"training_dropout_zero_ratio", GNET_ERROR_UNSUPPORTED},
  {"training_dropout_zero_ratio_mask", GNET_ERROR_UNSUPPORTED},
};

/* Directory prefixes (after "test_") of the operators gnet implements. */
static const gchar *const prefixes[] = {
  "add", "averagepool", "basic_conv", "batchnorm", "clip", "concat",
  "constant", "conv", "dropout", "flatten", "gemm", "globalaveragepool",
  "identity", "lrn", "matmul", "maxpool", "relu", "reshape", "sigmoid",
  "softmax", "training_dropout",
};

static gchar *
case_path (const gchar * name, const gchar * file)
{
  gchar *dir = g_strconcat ("test_", name, NULL);
  gchar *path = g_build_filename (TESTDATA, dir, file, NULL);

  g_free (dir);
  return path;
}

/* input_0.pb, input_1.pb, ... until one is missing. */
static GnetTensor *
load_set (const gchar * name, const gchar * kind, guint * n)
{
  GArray *tensors = g_array_new (FALSE, TRUE, sizeof (GnetTensor));

  for (guint i = 0;; i++) {
    gchar *file = g_strdup_printf ("test_data_set_0/%s_%u.pb", kind, i);
    gchar *path = case_path (name, file);
    GError *error = NULL;
    GnetTensor t;

    g_free (file);
    if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
      g_free (path);
      break;
    }
    if (gnet_tensor_load_file (path, &t, &error))
      g_array_append_val (tensors, t);
    else {
      g_test_fail_printf ("%s: %s", path, error->message);
      g_error_free (error);
    }
    g_free (path);
  }
  *n = tensors->len;
  return (GnetTensor *) g_array_free (tensors, FALSE);
}

static void
free_set (GnetTensor * t, guint n)
{
  for (guint i = 0; i < n; i++)
    gnet_tensor_clear (&t[i]);
  g_free (t);
}

static void
compare (const gchar * name, guint index, const GnetTensor * got,
    const GnetTensor * want)
{
  gint64 n = gnet_tensor_numel (want);
  gchar *gd = gnet_dims_to_string (got->dims, got->ndim);
  gchar *wd = gnet_dims_to_string (want->dims, want->ndim);

  if (got->dtype != want->dtype || g_strcmp0 (gd, wd) != 0) {
    g_test_fail_printf ("%s output %u: got %s %s, want %s %s", name, index,
        gnet_dtype_name (got->dtype), gd, gnet_dtype_name (want->dtype), wd);
    n = 0;
  }
  g_free (gd);
  g_free (wd);
  for (gint64 i = 0; i < n; i++) {
    gboolean same;
    gdouble g, w;

    switch (want->dtype) {
      case GNET_DTYPE_FLOAT32:
        g = ((const gfloat *) got->data)[i];
        w = ((const gfloat *) want->data)[i];
        same = fabs (g - w) <= 1e-5 + 1e-4 * fabs (w);
        break;
      case GNET_DTYPE_INT64:
        g = ((const gint64 *) got->data)[i];
        w = ((const gint64 *) want->data)[i];
        same = g == w;
        break;
      default:
        g = ((const guint8 *) got->data)[i];
        w = ((const guint8 *) want->data)[i];
        same = g == w;
        break;
    }
    if (!same) {
      g_test_fail_printf ("%s output %u element %" G_GINT64_FORMAT
          ": got %.9g, want %.9g", name, index, i, g, w);
      return;
    }
  }
}

static void
run_case (gconstpointer data)
{
  const ConformanceCase *c = data;
  gchar *path = case_path (c->name, "model.onnx");
  GError *error = NULL;
  GnetModel *model;
  GnetSession *session = NULL;
  GnetTensor *inputs = NULL, *outputs = NULL;
  guint n_in = 0, n_out = 0;

  if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    g_test_skip ("libonnx-testdata is not installed");
    g_free (path);
    return;
  }
  model = gnet_model_load_file (path, &error);
  if (model) {
    session = gnet_session_new (model, 1, &error);
    g_assert_no_error (error);
    inputs = load_set (c->name, "input", &n_in);
    if (gnet_session_run (session, inputs, n_in, &error)) {
      outputs = load_set (c->name, "output", &n_out);
      g_assert_cmpuint (gnet_session_get_n_outputs (session), ==, n_out);
    }
  }
  if (c->expect == PASS && error) {
    g_test_fail_printf ("%s: %s", c->name, error->message);
  } else if (c->expect == PASS) {
    g_assert_cmpuint (n_out, >=, 1);
    for (guint i = 0; i < n_out; i++)
      compare (c->name, i, gnet_session_get_output (session, i), &outputs[i]);
  } else if (!error) {
    g_test_fail_printf ("%s: ran, expected error %d", c->name, c->expect);
  } else {
    /* The right error, with a message naming the file. */
    g_test_message ("%s: %s", c->name, error->message);
    g_assert_error (error, GNET_ERROR, c->expect);
    g_assert_nonnull (strstr (error->message, "model.onnx"));
  }

  g_clear_error (&error);
  free_set (inputs, n_in);
  free_set (outputs, n_out);
  gnet_session_free (session);
  gnet_model_unref (model);
  g_free (path);
}

/* Every test directory of our operators is in `cases`. */
static void
test_coverage (void)
{
  GDir *dir = g_dir_open (TESTDATA, 0, NULL);
  const gchar *entry;
  guint n_ours = 0;

  if (!dir) {
    g_test_skip ("libonnx-testdata is not installed");
    return;
  }
  while ((entry = g_dir_read_name (dir))) {
    const gchar *name = entry + strlen ("test_");
    gboolean ours = FALSE, listed = FALSE;

    if (!g_str_has_prefix (entry, "test_"))
      continue;
    for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
      ours |= g_str_has_prefix (name, prefixes[i]);
    if (!ours)
      continue;
    n_ours++;
    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      listed |= g_str_equal (cases[i].name, name);
    if (!listed)
      g_error ("%s is not listed in test-conformance.c", entry);
  }
  g_dir_close (dir);
  g_assert_cmpuint (n_ours, ==, G_N_ELEMENTS (cases));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* One failing case must not hide the others. */
  g_test_set_nonfatal_assertions ();

  g_test_add_func ("/conformance/coverage", test_coverage);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *path = g_strconcat ("/conformance/", cases[i].name, NULL);

    g_test_add_data_func (path, &cases[i], run_case);
    g_free (path);
  }
  return g_test_run ();
}
