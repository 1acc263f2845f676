/* gnet.c - the gnet command-line tool: look inside a model, run it on
 * tensors from files, time it.
 *
 *   gnet info  MODEL [--shape N,C,H,W]
 *   gnet run   MODEL IN... -o OUTDIR [--threads T] [--output NAME]...
 *   gnet bench MODEL [--shape N,C,H,W] [--threads T] [--runs R] [--warmup W]
 *
 * Errors print the GError message and exit 1; usage errors exit 2.
 */
#include "gnet.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <glib/gstdio.h>

#define EXIT_USAGE 2
/* Spatial size assumed for a 4-D input whose H/W are symbolic and that has
 * no input_size metadata: ImageNet's. */
#define DEFAULT_SPATIAL 224

static gint
fail (GError * error)
{
  g_printerr ("gnet: %s\n", error->message);
  g_error_free (error);
  return EXIT_FAILURE;
}

static gint
usage_error (GOptionContext * ctx, const gchar * fmt, ...)
{
  va_list ap;
  gchar *msg, *help;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_printerr ("gnet: %s\n", msg);
  if (ctx) {
    help = g_option_context_get_help (ctx, TRUE, NULL);
    g_printerr ("\n%s", help);
    g_free (help);
  }
  g_free (msg);
  return EXIT_USAGE;
}

/* "1x3x?x?" for declared shapes, where -1 means symbolic. */
static gchar *
declared_dims (const GnetTensor * t)
{
  GString *s = g_string_new (NULL);

  if (t->ndim == 0)
    g_string_append (s, "scalar");
  for (guint i = 0; i < t->ndim; i++) {
    if (i)
      g_string_append_c (s, 'x');
    if (t->dims[i] < 0)
      g_string_append_c (s, '?');
    else
      g_string_append_printf (s, "%" G_GINT64_FORMAT, t->dims[i]);
  }
  return g_string_free (s, FALSE);
}

/* Parses "N,C,H,W" (or any rank up to GNET_MAX_DIMS, 'x' also accepted). */
static gboolean
parse_shape (const gchar * text, GnetTensor * t)
{
  gchar **parts = g_regex_split_simple ("[,x]", text, 0, 0);
  guint n = g_strv_length (parts);
  gboolean ok = n > 0 && n <= GNET_MAX_DIMS;

  for (guint i = 0; ok && i < n; i++) {
    gchar *end;
    gint64 v = g_ascii_strtoll (parts[i], &end, 10);
    ok = *parts[i] != '\0' && *end == '\0' && v > 0 && v <= G_MAXINT32;
    t->dims[i] = v;
  }
  t->ndim = n;
  g_strfreev (parts);
  return ok;
}

/* Fills the model's input shapes with concrete sizes: symbolic batch and
 * other dims become 1, symbolic H/W of a 4-D input the model's
 * input_size metadata or 224.  Returns TRUE if anything was assumed. */
static gboolean
concrete_input_dims (GnetModel * model, guint index, GnetTensor * t)
{
  const gchar *meta = gnet_model_get_metadata (model, GNET_META_INPUT_SIZE);
  gint64 hw[2] = { DEFAULT_SPATIAL, DEFAULT_SPATIAL };
  gboolean assumed = FALSE;

  gnet_model_get_input (model, index, NULL, t);
  if (meta) {
    gchar **p = g_strsplit (meta, ",", 2);
    if (g_strv_length (p) == 2 && atoi (p[0]) > 0 && atoi (p[1]) > 0) {
      hw[0] = atoi (p[0]);
      hw[1] = atoi (p[1]);
    }
    g_strfreev (p);
  }
  for (guint d = 0; d < t->ndim; d++) {
    if (t->dims[d] >= 0)
      continue;
    t->dims[d] = (t->ndim == 4 && d >= 2) ? hw[d - 2] : 1;
    assumed = TRUE;
  }
  return assumed;
}

/* ------------------------------------------------------------------------ */
/* gnet info                                                                */
/* ------------------------------------------------------------------------ */

typedef struct
{
  const gchar *op;
  guint count;
} OpCount;

static gint
compare_op_count (gconstpointer a, gconstpointer b)
{
  const OpCount *x = a, *y = b;

  if (x->count != y->count)
    return x->count < y->count ? 1 : -1;
  return strcmp (x->op, y->op);
}

static void
print_op_histogram (GnetModel * model)
{
  GHashTable *counts = g_hash_table_new (g_str_hash, g_str_equal);
  GArray *list = g_array_new (FALSE, FALSE, sizeof (OpCount));
  guint n = gnet_model_get_n_nodes (model);
  GHashTableIter it;
  gpointer key, value;

  for (guint i = 0; i < n; i++) {
    const gchar *op = gnet_model_get_node_op (model, i);
    guint c = GPOINTER_TO_UINT (g_hash_table_lookup (counts, op));
    g_hash_table_insert (counts, (gpointer) op, GUINT_TO_POINTER (c + 1));
  }
  g_hash_table_iter_init (&it, counts);
  while (g_hash_table_iter_next (&it, &key, &value)) {
    OpCount oc = { key, GPOINTER_TO_UINT (value) };
    g_array_append_val (list, oc);
  }
  g_array_sort (list, compare_op_count);
  g_print ("operators: %u nodes after load-time folding\n", n);
  for (guint i = 0; i < list->len; i++) {
    OpCount *oc = &g_array_index (list, OpCount, i);
    g_print ("  %-24s %u\n", oc->op, oc->count);
  }
  g_array_unref (list);
  g_hash_table_unref (counts);
}

/* Plans the model at concrete input shapes and prints the cost.  A model
 * that cannot be planned there is not an error of `info`. */
static void
print_cost (GnetModel * model, const GnetTensor * shape_override)
{
  guint n = gnet_model_get_n_inputs (model);
  GnetTensor *inputs = g_new0 (GnetTensor, MAX (n, 1));
  GnetSession *session;
  GError *error = NULL;
  GString *desc = g_string_new (NULL);
  gboolean assumed = FALSE;

  for (guint i = 0; i < n; i++) {
    gchar *d;
    assumed |= concrete_input_dims (model, i, &inputs[i]);
    if (i == 0 && shape_override && shape_override->ndim) {
      inputs[0].ndim = shape_override->ndim;
      memcpy (inputs[0].dims, shape_override->dims, sizeof inputs[0].dims);
    }
    if (inputs[i].dtype != GNET_DTYPE_FLOAT32) {
      g_print ("cost: not computed (input %u is %s; plan needs its "
          "values)\n", i, gnet_dtype_name (inputs[i].dtype));
      goto out;
    }
    d = gnet_dims_to_string (inputs[i].dims, inputs[i].ndim);
    g_string_append_printf (desc, "%s%s", i ? ", " : "", d);
    g_free (d);
  }

  session = gnet_session_new (model, 1, &error);
  if (session && gnet_session_plan (session, inputs, n, &error)) {
    guint64 macs = gnet_session_get_macs (session);
    g_print ("cost at %s%s:\n", desc->str,
        assumed && !(shape_override && shape_override->ndim) ?
        " (symbolic dims assumed)" : "");
    g_print ("  MACs            %" G_GUINT64_FORMAT " (%.3f GMAC, %.3f "
        "GFLOP)\n", macs, macs / 1e9, 2.0 * macs / 1e9);
    g_print ("  working memory  %" G_GSIZE_FORMAT " bytes (%.1f MiB)\n",
        gnet_session_get_arena_size (session),
        gnet_session_get_arena_size (session) / 1048576.0);
  } else {
    g_print ("cost at %s: not computed: %s\n", desc->str, error->message);
    g_clear_error (&error);
  }
  gnet_session_free (session);
out:
  g_string_free (desc, TRUE);
  g_free (inputs);
}

static void
print_values (GnetModel * model, gboolean outputs)
{
  guint n = outputs ? gnet_model_get_n_outputs (model)
      : gnet_model_get_n_inputs (model);

  g_print ("%s:\n", outputs ? "outputs" : "inputs");
  for (guint i = 0; i < n; i++) {
    const gchar *name = NULL;
    GnetTensor t = { 0 };
    gchar *d;

    if (outputs)
      gnet_model_get_output (model, i, &name, &t);
    else
      gnet_model_get_input (model, i, &name, &t);
    d = declared_dims (&t);
    g_print ("  %-24s %-8s %s\n", name, gnet_dtype_name (t.dtype), d);
    g_free (d);
  }
}

static gint
cmd_info (gint argc, gchar ** argv)
{
  gchar *shape_text = NULL;
  GOptionEntry entries[] = {
    {"shape", 's', 0, G_OPTION_ARG_STRING, &shape_text,
          "Input shape for the cost figures (default: the declared one)",
        "N,C,H,W"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("MODEL - describe a model");
  GnetTensor shape = { 0 };
  GError *error = NULL;
  GnetModel *model;
  const gchar *const *keys;
  gint ret = EXIT_SUCCESS;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    ret = usage_error (ctx, "%s", error->message);
    g_clear_error (&error);
    goto out;
  }
  if (argc != 2) {
    ret = usage_error (ctx, "info takes exactly one MODEL");
    goto out;
  }
  if (shape_text && !parse_shape (shape_text, &shape)) {
    ret = usage_error (ctx, "bad --shape '%s'", shape_text);
    goto out;
  }

  model = gnet_model_load_file (argv[1], &error);
  if (model == NULL) {
    ret = fail (error);
    goto out;
  }
  g_print ("model: %s (ONNX opset %" G_GINT64_FORMAT ")\n", argv[1],
      gnet_model_get_opset (model));
  print_values (model, FALSE);
  print_values (model, TRUE);
  print_op_histogram (model);
  g_print ("parameters: %" G_GUINT64_FORMAT "\n",
      gnet_model_get_n_params (model));
  print_cost (model, &shape);
  keys = gnet_model_get_metadata_keys (model);
  if (keys && keys[0]) {
    g_print ("metadata:\n");
    for (guint i = 0; keys[i]; i++) {
      const gchar *v = gnet_model_get_metadata (model, keys[i]);
      /* Long values (a labels list) are summarised on one line. */
      gchar *shown = g_strndup (v, 60);
      gchar *nl = strchr (shown, '\n');
      if (nl)
        *nl = '\0';
      g_print ("  %s: %s%s\n", keys[i], shown,
          strlen (shown) < strlen (v) ? " ..." : "");
      g_free (shown);
    }
  }
  gnet_model_unref (model);
out:
  g_free (shape_text);
  g_option_context_free (ctx);
  return ret;
}

/* ------------------------------------------------------------------------ */
/* gnet run                                                                 */
/* ------------------------------------------------------------------------ */

/* A value name as a file name: no directory separators, no "." or "..". */
static gchar *
sanitise_name (const gchar * name)
{
  gchar *s = g_strdup (name);

  for (gchar * p = s; *p; p++)
    if (*p == '/' || *p == '\\' || *p == ':')
      *p = '_';
  if (*s == '\0' || *s == '.') {
    gchar *t = g_strconcat ("_", s, NULL);
    g_free (s);
    s = t;
  }
  return s;
}

static gboolean
write_outputs (GnetSession * session, const gchar * outdir, GError ** error)
{
  GHashTable *used = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  gboolean ok = TRUE;

  if (g_mkdir_with_parents (outdir, 0755) != 0) {
    int saved = errno;
    g_set_error (error, GNET_ERROR, GNET_ERROR_IO, "%s: cannot create "
        "directory: %s", outdir, g_strerror (saved));
    g_hash_table_unref (used);
    return FALSE;
  }
  for (guint i = 0; ok && i < gnet_session_get_n_outputs (session); i++) {
    const GnetTensor *t = gnet_session_get_output (session, i);
    gchar *base = sanitise_name (gnet_session_get_output_name (session, i));
    gchar *file, *path, *d;

    /* Two names may sanitise to the same file ("a/b", "a_b"). */
    while (g_hash_table_contains (used, base)) {
      gchar *b = g_strdup_printf ("%s_%u", base, i);
      g_free (base);
      base = b;
    }
    file = g_strconcat (base, ".npy", NULL);
    path = g_build_filename (outdir, file, NULL);
    ok = gnet_tensor_save_npy (t, path, error);
    if (ok) {
      d = gnet_dims_to_string (t->dims, t->ndim);
      g_print ("%s  %s %s\n", path, gnet_dtype_name (t->dtype), d);
      g_free (d);
    }
    g_hash_table_add (used, base);
    g_free (file);
    g_free (path);
  }
  g_hash_table_unref (used);
  return ok;
}

static gint
cmd_run (gint argc, gchar ** argv)
{
  gchar *outdir = NULL;
  gchar **output_names = NULL;
  gint threads = 0;
  GOptionEntry entries[] = {
    {"outdir", 'o', 0, G_OPTION_ARG_FILENAME, &outdir,
        "Directory for the outputs (created), one NAME.npy each", "OUTDIR"},
    {"threads", 't', 0, G_OPTION_ARG_INT, &threads,
        "Threads (default: all cores)", "T"},
    {"output", 0, 0, G_OPTION_ARG_STRING_ARRAY, &output_names,
        "Write this value instead of the graph outputs (repeatable; any "
          "tensor of the graph)", "NAME"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("MODEL INPUT... - run a model "
      "on .npy / .pb tensors, inputs in graph-input order");
  GnetModel *model = NULL;
  GnetSession *session = NULL;
  GnetTensor *inputs = NULL;
  GError *error = NULL;
  guint n_inputs = 0;
  gint ret = EXIT_SUCCESS;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    ret = usage_error (ctx, "%s", error->message);
    g_clear_error (&error);
    goto out;
  }
  if (argc < 2)
    ret = usage_error (ctx, "run needs a MODEL");
  else if (outdir == NULL)
    ret = usage_error (ctx, "run needs -o OUTDIR");
  else if (threads < 0)
    ret = usage_error (ctx, "--threads must be >= 0");
  if (ret != EXIT_SUCCESS)
    goto out;

  model = gnet_model_load_file (argv[1], &error);
  if (model == NULL)
    goto error;
  n_inputs = gnet_model_get_n_inputs (model);
  if ((guint) argc - 2 != n_inputs) {
    GString *names = g_string_new (NULL);
    for (guint i = 0; i < n_inputs; i++) {
      const gchar *name;
      gnet_model_get_input (model, i, &name, NULL);
      g_string_append_printf (names, " %s", name);
    }
    ret = usage_error (NULL, "%s takes %u input(s) (%s ), %d given",
        argv[1], n_inputs, names->str, argc - 2);
    g_string_free (names, TRUE);
    goto out;
  }
  inputs = g_new0 (GnetTensor, MAX (n_inputs, 1));
  for (guint i = 0; i < n_inputs; i++)
    if (!gnet_tensor_load_file (argv[2 + i], &inputs[i], &error))
      goto error;

  if (output_names)
    session = gnet_session_new_with_outputs (model,
        (const gchar * const *) output_names, threads, &error);
  else
    session = gnet_session_new (model, threads, &error);
  if (session == NULL || !gnet_session_run (session, inputs, n_inputs, &error)
      || !write_outputs (session, outdir, &error))
    goto error;
  goto out;

error:
  ret = fail (error);
out:
  if (inputs)
    for (guint i = 0; i < n_inputs; i++)
      gnet_tensor_clear (&inputs[i]);
  g_free (inputs);
  gnet_session_free (session);
  gnet_model_unref (model);
  g_free (outdir);
  g_strfreev (output_names);
  g_option_context_free (ctx);
  return ret;
}

/* ------------------------------------------------------------------------ */
/* gnet bench                                                               */
/* ------------------------------------------------------------------------ */

/* CPU time of the whole process: on a machine busy with other work it
 * shows what a single-threaded run costs when it is not waiting. */
static gdouble
process_cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static gint
compare_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;
  return (x > y) - (x < y);
}

/* Random inputs at the requested (or declared, made concrete) shapes;
 * only float inputs: int64 inputs usually carry shapes, which random values
 * would not. */
static gboolean
make_bench_inputs (GnetModel * model, const GnetTensor * shape,
    GnetTensor * inputs, guint n, GError ** error)
{
  GRand *rand = g_rand_new_with_seed (1);

  for (guint i = 0; i < n; i++) {
    gint64 numel;
    gfloat *data;

    concrete_input_dims (model, i, &inputs[i]);
    if (i == 0 && shape->ndim) {
      inputs[0].ndim = shape->ndim;
      memcpy (inputs[0].dims, shape->dims, sizeof shape->dims);
    }
    if (inputs[i].dtype != GNET_DTYPE_FLOAT32) {
      g_set_error (error, GNET_ERROR, GNET_ERROR_INPUT,
          "%s: input %u is %s; bench only makes random float inputs",
          gnet_model_get_name (model), i, gnet_dtype_name (inputs[i].dtype));
      g_rand_free (rand);
      return FALSE;
    }
    numel = gnet_tensor_numel (&inputs[i]);
    data = g_new (gfloat, MAX (numel, 1));
    for (gint64 k = 0; k < numel; k++)
      data[k] = g_rand_double_range (rand, -1.0, 1.0);
    inputs[i].data = data;
  }
  g_rand_free (rand);
  return TRUE;
}

static gint
cmd_bench (gint argc, gchar ** argv)
{
  gchar *shape_text = NULL;
  gint threads = 0, runs = 20, warmup = 3;
  GOptionEntry entries[] = {
    {"shape", 's', 0, G_OPTION_ARG_STRING, &shape_text,
        "Input shape (default: the declared one, symbolic dims made "
          "concrete)", "N,C,H,W"},
    {"threads", 't', 0, G_OPTION_ARG_INT, &threads,
        "Threads (default: all cores)", "T"},
    {"runs", 'r', 0, G_OPTION_ARG_INT, &runs, "Timed runs (default 20)", "R"},
    {"warmup", 'w', 0, G_OPTION_ARG_INT, &warmup,
        "Untimed runs first (default 3; the first one plans)", "W"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("MODEL - time a model on "
      "random input");
  GnetTensor shape = { 0 };
  GnetModel *model = NULL;
  GnetSession *session = NULL;
  GnetTensor *inputs = NULL;
  GError *error = NULL;
  gdouble *ms = NULL;
  guint n_inputs = 0;
  gint ret = EXIT_SUCCESS;
  gdouble median, cpu_ms;
  guint64 macs;
  gchar *d;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    ret = usage_error (ctx, "%s", error->message);
    g_clear_error (&error);
    goto out;
  }
  if (argc != 2)
    ret = usage_error (ctx, "bench takes exactly one MODEL");
  else if (shape_text && !parse_shape (shape_text, &shape))
    ret = usage_error (ctx, "bad --shape '%s'", shape_text);
  else if (runs < 1 || warmup < 0 || threads < 0)
    ret = usage_error (ctx, "need --runs >= 1, --warmup >= 0, "
        "--threads >= 0");
  if (ret != EXIT_SUCCESS)
    goto out;

  model = gnet_model_load_file (argv[1], &error);
  if (model == NULL)
    goto error;
  n_inputs = gnet_model_get_n_inputs (model);
  inputs = g_new0 (GnetTensor, MAX (n_inputs, 1));
  if (!make_bench_inputs (model, &shape, inputs, n_inputs, &error))
    goto error;
  session = gnet_session_new (model, threads, &error);
  if (session == NULL)
    goto error;
  /* Planning happens in the first run; planning errors surface here. */
  if (!gnet_session_plan (session, inputs, n_inputs, &error))
    goto error;
  for (gint i = 0; i < warmup; i++)
    if (!gnet_session_run (session, inputs, n_inputs, &error))
      goto error;
  ms = g_new (gdouble, runs);
  cpu_ms = process_cpu_ms ();
  for (gint i = 0; i < runs; i++) {
    gint64 t0 = g_get_monotonic_time ();
    if (!gnet_session_run (session, inputs, n_inputs, &error))
      goto error;
    ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
  }
  cpu_ms = (process_cpu_ms () - cpu_ms) / runs;
  qsort (ms, runs, sizeof *ms, (GCompareFunc) compare_double);
  median = runs % 2 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2;
  macs = gnet_session_get_macs (session);

  d = n_inputs ? gnet_dims_to_string (inputs[0].dims, inputs[0].ndim)
      : g_strdup ("-");
  g_print ("model    %s\n", argv[1]);
  g_print ("input    %s\n", d);
  g_print ("threads  %d\n", gnet_session_get_n_threads (session));
  g_print ("runs     %d after %d warm-up\n", runs, warmup);
  g_print ("MACs     %" G_GUINT64_FORMAT " (%.3f GMAC)\n", macs, macs / 1e9);
  g_print ("memory   %.1f MiB working\n",
      gnet_session_get_arena_size (session) / 1048576.0);
  g_print ("median   %.3f ms\n", median);
  g_print ("min      %.3f ms\n", ms[0]);
  g_print ("cpu      %.3f ms per run (process CPU time, all threads)\n",
      cpu_ms);
  g_print ("GFLOP/s  %.2f at the median\n", 2.0 * macs / (median * 1e6));
  g_free (d);
  goto out;

error:
  ret = fail (error);
out:
  if (inputs)
    for (guint i = 0; i < n_inputs; i++)
      gnet_tensor_clear (&inputs[i]);
  g_free (inputs);
  g_free (ms);
  gnet_session_free (session);
  gnet_model_unref (model);
  g_free (shape_text);
  g_option_context_free (ctx);
  return ret;
}

/* ------------------------------------------------------------------------ */

static const struct
{
  const gchar *name;
    gint (*func) (gint argc, gchar ** argv);
  const gchar *summary;
} commands[] = {
  {"info", cmd_info, "inputs, outputs, operators, parameters, MACs, memory"},
  {"run", cmd_run, "run a model on .npy/.pb inputs, write .npy outputs"},
  {"bench", cmd_bench, "time a model on random input"},
};

static gint
main_usage (FILE * f)
{
  fprintf (f, "Usage: gnet COMMAND [OPTION...] MODEL ...\n\nCommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (f, "  %-6s %s\n", commands[i].name, commands[i].summary);
  fprintf (f, "\n'gnet COMMAND --help' describes a command's options.\n");
  return f == stdout ? EXIT_SUCCESS : EXIT_USAGE;
}

int
main (int argc, char **argv)
{
  /* GLib messages (file errors) are translated to the user's charset. */
  setlocale (LC_ALL, "");
  if (argc < 2)
    return main_usage (stderr);
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0)
    return main_usage (stdout);
  if (strcmp (argv[1], "--version") == 0) {
    g_print ("gnet " GNET_VERSION "\n");
    return EXIT_SUCCESS;
  }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++) {
    if (strcmp (argv[1], commands[i].name) == 0) {
      /* The subcommand sees "gnet-<cmd>" as its program name. */
      gchar *prg = g_strdup_printf ("gnet %s", argv[1]);
      gint ret;
      g_set_prgname (prg);
      argv[1] = prg;
      ret = commands[i].func (argc - 1, argv + 1);
      g_free (prg);
      return ret;
    }
  }
  fprintf (stderr, "gnet: unknown command '%s'\n\n", argv[1]);
  return main_usage (stderr);
}
