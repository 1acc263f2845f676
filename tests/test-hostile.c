/* test-hostile.c - hostile but well-formed models fail cleanly.
 *
 * Every model in tests/fixtures/hostile/ (written by make_hostile_models.py
 * there) is valid protobuf and plausible ONNX, wrong in one way chosen to
 * crash, overflow or exhaust memory in a careless loader or planner.  Each
 * must fail, at load or when planned for the input shape it declares, with
 * a GError of the expected code whose message names the file and the
 * culprit (node, tensor, attribute or limit).  Where the platform allows
 * it, the whole list runs again in a child whose address space is capped,
 * so an attempt to allocate what a hostile header declares fails the test
 * even when the allocation would have succeeded on a big machine.
 */
#include <string.h>
#include <sys/resource.h>

#include "gnet.h"
#include "onnx.pb-c.h"

typedef enum
{
  AT_LOAD,
  AT_PLAN,                      /* loads; planning the declared shape fails */
} Stage;

typedef struct
{
  const gchar *file;
  Stage stage;
  GnetError code;
  const gchar *words[4];        /* all in the message; NULL-terminated */
} Case;

static const Case cases[] = {
  /* Enormous, overflowing and negative dimensions. */
  {"dims_huge", AT_LOAD, GNET_ERROR_PARSE, {"'w'", "dimension"}},
  {"dims_overflow", AT_LOAD, GNET_ERROR_PARSE, {"'w'", "too many elements"}},
  {"dims_negative", AT_LOAD, GNET_ERROR_PARSE, {"'w'", "-3"}},
  {"const_huge", AT_LOAD, GNET_ERROR_PARSE, {"big_const", "'value'"}},
  {"input_huge", AT_PLAN, GNET_ERROR_INPUT, {"'x'", "invalid shape"}},
  {"input_negative", AT_PLAN, GNET_ERROR_INPUT, {"'x'", "invalid shape"}},
  {"input_rank9", AT_LOAD, GNET_ERROR_UNSUPPORTED, {"'x'", "9 dimensions"}},
  {"input_gigabytes", AT_PLAN, GNET_ERROR_UNSUPPORTED,
      {"GNET_MAX_ARENA_MB", "limit of 4096 MiB"}},
  {"pads_gigabytes", AT_PLAN, GNET_ERROR_UNSUPPORTED,
      {"GNET_MAX_ARENA_MB", "limit of 4096 MiB"}},
  {"pads_huge", AT_LOAD, GNET_ERROR_ATTRIBUTE, {"conv1", "pads"}},
  {"strides_zero", AT_LOAD, GNET_ERROR_ATTRIBUTE, {"conv1", "strides"}},
  {"dilations_huge", AT_LOAD, GNET_ERROR_ATTRIBUTE, {"conv1", "dilations"}},
  {"pool_kernel_huge", AT_LOAD, GNET_ERROR_ATTRIBUTE,
      {"pool1", "kernel_shape"}},
  {"reshape_overflow", AT_PLAN, GNET_ERROR_SHAPE,
      {"reshape1", "cannot reshape"}},
  {"reshape_negative", AT_PLAN, GNET_ERROR_SHAPE, {"reshape1", "-5"}},
  /* Data shorter or longer than the shape. */
  {"raw_short", AT_LOAD, GNET_ERROR_PARSE, {"'w'", "40 bytes", "216"}},
  {"raw_long", AT_LOAD, GNET_ERROR_PARSE, {"'w'", "4096 bytes", "216"}},
  {"float_data_short", AT_LOAD, GNET_ERROR_PARSE, {"'w'", "5 values", "54"}},
  /* Graph structure. */
  {"cycle_self", AT_LOAD, GNET_ERROR_GRAPH, {"cycle", "'loop'"}},
  {"cycle_long", AT_LOAD, GNET_ERROR_GRAPH, {"cycle"}},
  {"missing_input", AT_LOAD, GNET_ERROR_GRAPH, {"conv1", "'ghost'"}},
  {"missing_required", AT_LOAD, GNET_ERROR_GRAPH,
      {"conv1", "required input 1"}},
  {"duplicate_output", AT_LOAD, GNET_ERROR_GRAPH, {"'two'", "'t'",
          "already defined"}},
  {"duplicate_output_of_input", AT_LOAD, GNET_ERROR_GRAPH,
      {"'shadow'", "'x'", "already defined"}},
  {"duplicate_initializer", AT_LOAD, GNET_ERROR_GRAPH, {"'w'"}},
  {"duplicate_node_outputs", AT_LOAD, GNET_ERROR_GRAPH,
      {"'drop'", "'t'", "already defined"}},
  {"no_outputs", AT_LOAD, GNET_ERROR_GRAPH, {"no outputs"}},
  {"opset_huge", AT_LOAD, GNET_ERROR_UNSUPPORTED, {"opset"}},
  /* Attributes of the wrong type. */
  {"kernel_shape_float", AT_LOAD, GNET_ERROR_ATTRIBUTE,
      {"conv1", "'kernel_shape'", "not float"}},
  {"kernel_shape_string", AT_LOAD, GNET_ERROR_ATTRIBUTE,
      {"conv1", "'kernel_shape'", "not string"}},
  {"pads_floats", AT_LOAD, GNET_ERROR_ATTRIBUTE,
      {"conv1", "'pads'", "not floats"}},
  {"group_string", AT_LOAD, GNET_ERROR_ATTRIBUTE,
      {"conv1", "'group'", "not string"}},
  {"auto_pad_int", AT_LOAD, GNET_ERROR_ATTRIBUTE,
      {"conv1", "'auto_pad'", "not int"}},
  {"strides_tensor", AT_LOAD, GNET_ERROR_ATTRIBUTE,
      {"pool1", "'strides'", "not tensor"}},
  {"axis_float", AT_LOAD, GNET_ERROR_ATTRIBUTE, {"cat", "'axis'",
          "not float"}},
  {"axis_huge", AT_PLAN, GNET_ERROR_ATTRIBUTE, {"cat", "axis",
          "out of range"}},
  /* Operators with too few or too many inputs or outputs. */
  {"conv_one_input", AT_LOAD, GNET_ERROR_GRAPH, {"conv1", "1 inputs"}},
  {"relu_three_inputs", AT_LOAD, GNET_ERROR_GRAPH, {"relu3", "3 inputs"}},
  {"gemm_four_inputs", AT_LOAD, GNET_ERROR_GRAPH, {"fc4", "4 inputs"}},
  {"add_one_input", AT_LOAD, GNET_ERROR_GRAPH, {"add1", "1 inputs"}},
  {"relu_two_outputs", AT_LOAD, GNET_ERROR_GRAPH, {"relu2", "2 outputs"}},
  {"constant_with_input", AT_LOAD, GNET_ERROR_GRAPH, {"const1"}},
};

static gchar *
fixture (const gchar * name)
{
  const gchar *src = g_getenv ("GNET_SRCDIR");
  gchar *file = g_strconcat (name, ".onnx", NULL);
  gchar *path = g_build_filename (src ? src : "..", "tests", "fixtures",
      "hostile", file, NULL);

  g_free (file);
  return path;
}

/* Plans a session for the input shapes the model declares, as they are
 * (unknown dimensions stay -1, which no plan accepts). */
static gboolean
plan_declared (GnetModel * model, GError ** error)
{
  guint n = gnet_model_get_n_inputs (model);
  GnetTensor *inputs = g_new0 (GnetTensor, MAX (1, n));
  GnetSession *s = gnet_session_new (model, 1, error);
  gboolean ok;

  g_assert_nonnull (s);
  for (guint i = 0; i < n; i++)
    g_assert_true (gnet_model_get_input (model, i, NULL, &inputs[i]));
  ok = gnet_session_plan (s, inputs, n, error);
  gnet_session_free (s);
  g_free (inputs);
  return ok;
}

/* Runs one case; returns the error for the caller to check. */
static GError *
run_case (const Case * c)
{
  gchar *path = fixture (c->file);
  GError *error = NULL;
  GnetModel *model = gnet_model_load_file (path, &error);

  if (c->stage == AT_LOAD) {
    g_assert_null (model);
  } else {
    if (model == NULL)
      g_error ("%s should load: %s", path, error->message);
    g_assert_false (plan_declared (model, &error));
    gnet_model_unref (model);
  }
  g_free (path);
  return error;
}

static void
test_case (gconstpointer data)
{
  const Case *c = data;
  GError *error = run_case (c);

  g_assert_error (error, GNET_ERROR, (gint) c->code);
  if (!strstr (error->message, c->file))
    g_error ("file name not in message: %s", error->message);
  for (guint i = 0; i < G_N_ELEMENTS (c->words) && c->words[i]; i++)
    if (!strstr (error->message, c->words[i]))
      g_error ("'%s' not in message: %s", c->words[i], error->message);
  g_test_message ("%s: %s", c->file, error->message);
  g_error_free (error);
}

/* The declared shapes are read as written: the huge ones are not clipped,
 * the negative one is unknown. */
static void
test_declared_shapes (void)
{
  GError *error = NULL;
  gchar *path = fixture ("input_huge");
  GnetModel *m = gnet_model_load_file (path, &error);
  GnetTensor info;

  g_assert_no_error (error);
  g_assert_true (gnet_model_get_input (m, 0, NULL, &info));
  g_assert_cmpint (info.dims[3], ==, G_GINT64_CONSTANT (1) << 40);
  gnet_model_unref (m);
  g_free (path);

  path = fixture ("input_negative");
  m = gnet_model_load_file (path, &error);
  g_assert_no_error (error);
  g_assert_true (gnet_model_get_input (m, 0, NULL, &info));
  g_assert_cmpint (info.dims[2], ==, -1);
  g_assert_cmpint (info.dims[3], ==, 4);
  gnet_model_unref (m);
  g_free (path);
}

/* A graph of more nodes than gnet loads (planning is quadratic in them):
 * refused before any of them is looked at.  Built here, since the file
 * would be a third of a megabyte: one Relu node, repeated. */
static void
test_too_many_nodes (void)
{
  Onnx__ModelProto model = ONNX__MODEL_PROTO__INIT;
  Onnx__GraphProto graph = ONNX__GRAPH_PROTO__INIT;
  Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT;
  Onnx__OperatorSetIdProto *opsets[] = { &opset };
  Onnx__NodeProto relu = ONNX__NODE_PROTO__INIT;
  gchar *x = (gchar *) "x", *y = (gchar *) "y";
  const gsize n_nodes = 16385;
  Onnx__NodeProto **nodes = g_new (Onnx__NodeProto *, n_nodes);
  GError *error = NULL;
  guint8 *bytes;
  gsize len;

  relu.op_type = (gchar *) "Relu";
  relu.n_input = relu.n_output = 1;
  relu.input = &x;
  relu.output = &y;
  for (gsize i = 0; i < n_nodes; i++)
    nodes[i] = &relu;
  graph.n_node = n_nodes;
  graph.node = nodes;
  opset.has_version = TRUE;
  opset.version = 13;
  model.graph = &graph;
  model.n_opset_import = 1;
  model.opset_import = opsets;
  len = onnx__model_proto__get_packed_size (&model);
  bytes = g_malloc (len);
  onnx__model_proto__pack (&model, bytes);

  g_assert_null (gnet_model_load_bytes (bytes, len, "many.onnx", &error));
  g_assert_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "many.onnx"));
  g_assert_nonnull (strstr (error->message, "16385 nodes"));
  g_assert_nonnull (strstr (error->message, "at most 16384"));
  g_error_free (error);
  g_free (bytes);
  g_free (nodes);
}

/* GNET_MAX_ARENA_MB moves the limit; a value that is not a positive
 * number leaves the default. */
static void
test_arena_limit (void)
{
  GError *error = NULL;
  gchar *path = fixture ("input_gigabytes");
  GnetModel *m = gnet_model_load_file (path, &error);
  GnetSession *s = gnet_session_new (m, 1, &error);
  /* Two 4.3 MB tensors: about 9 MiB of working memory. */
  GnetTensor in = { GNET_DTYPE_FLOAT32, 4, {1, 3, 600, 600}, NULL };

  g_assert_no_error (error);
  g_setenv ("GNET_MAX_ARENA_MB", "4", TRUE);
  g_assert_false (gnet_session_plan (s, &in, 1, &error));
  g_assert_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "limit of 4 MiB"));
  g_assert_cmpuint (gnet_session_get_arena_size (s), ==, 0);
  g_clear_error (&error);

  g_setenv ("GNET_MAX_ARENA_MB", "64", TRUE);
  g_assert_true (gnet_session_plan (s, &in, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (gnet_session_get_arena_size (s), >, 4 << 20);
  g_assert_cmpuint (gnet_session_get_arena_size (s), <=, 64 << 20);

  g_setenv ("GNET_MAX_ARENA_MB", "lots", TRUE);
  g_assert_true (gnet_session_plan (s, &in, 1, &error));
  g_setenv ("GNET_MAX_ARENA_MB", "0", TRUE);
  g_assert_true (gnet_session_plan (s, &in, 1, &error));
  g_assert_no_error (error);
  g_unsetenv ("GNET_MAX_ARENA_MB");
  gnet_session_free (s);
  gnet_model_unref (m);
  g_free (path);
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) \
    || __has_feature(memory_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif

/* Address space in use now, from /proc/self/statm (pages). */
static gsize
address_space_bytes (void)
{
  gchar *text = NULL;
  gsize pages = 0;

  if (g_file_get_contents ("/proc/self/statm", &text, NULL, NULL))
    pages = g_ascii_strtoull (text, NULL, 10);
  g_free (text);
  return pages * 4096;
}

/* Every case again, with no more than 256 MiB of address space to spare
 * beyond what the process already has: the hostile files declare tensors of
 * terabytes; loading and planning them must not try to allocate them. */
static void
test_bounded_memory (void)
{
#ifdef UNDER_SANITIZER
  g_test_skip ("sanitizers reserve terabytes of address space; ASan's own "
      "allocation limit covers this");
#else
  if (g_test_subprocess ()) {
    gsize used = address_space_bytes ();
    struct rlimit lim;

    g_assert_cmpuint (used, >, 0);
    lim.rlim_cur = lim.rlim_max = used + (256 << 20);
    g_assert_cmpint (setrlimit (RLIMIT_AS, &lim), ==, 0);
    for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
      GError *error = run_case (&cases[i]);
      g_assert_error (error, GNET_ERROR, (gint) cases[i].code);
      g_error_free (error);
    }
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
#endif
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_unsetenv ("GNET_MAX_ARENA_MB");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *name = g_strdup_printf ("/hostile/%s", cases[i].file);
    g_test_add_data_func (name, &cases[i], test_case);
    g_free (name);
  }
  g_test_add_func ("/hostile/declared-shapes", test_declared_shapes);
  g_test_add_func ("/hostile/arena-limit", test_arena_limit);
  g_test_add_func ("/hostile/too-many-nodes", test_too_many_nodes);
  g_test_add_func ("/hostile/bounded-memory", test_bounded_memory);
  return g_test_run ();
}
