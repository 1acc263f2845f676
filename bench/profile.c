/* profile.c - where a run's time goes, per operator type and per node.
 *
 *   gnet-profile MODEL [N,C,H,W] [THREADS] [RUNS] [OUTPUT,...]
 *
 * OUTPUT names the values to stop at (gnet_session_new_with_outputs): a
 * detector's feature map, for a model whose head only fits the input size
 * (the default model's box head at a pyramid level's size).
 *
 * Plans through the public API, then replays the session's steps itself
 * with a clock around each forward call (which is why it needs the private
 * header; it is a developer tool, not installed).  Convolutions are split
 * by kernel and stride, since 1x1 convolutions skip im2col.
 */
#include "gnet-private.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* With one thread, process CPU time: the machine may be busy with other
 * work, and time spent waiting for a core is not the step's.  With more
 * threads, wall time (CPU time would add the threads up). */
static clockid_t clock_id = CLOCK_MONOTONIC;

static gdouble
now_ms (void)
{
  struct timespec ts;

  clock_gettime (clock_id, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

typedef struct
{
  gchar *key;
  gdouble ms;
  guint64 macs;
  guint count;
} Bucket;

/* "Conv 3x3/1" etc.: the classes that take different code paths. */
static gchar *
step_class (const GnetStep * st)
{
  const GnetNode *n = st->node;

  if (strcmp (n->op_type, "Conv") == 0 || strcmp (n->op_type, "MaxPool") == 0
      || strcmp (n->op_type, "AveragePool") == 0) {
    const GnetAttr *k = gnet__node_attr (n, "kernel_shape");
    const GnetAttr *s = gnet__node_attr (n, "strides");
    gint64 kh = k && k->n == 2 ? k->ints[0] : st->in[1].dims[2];
    gint64 kw = k && k->n == 2 ? k->ints[1] : st->in[1].dims[3];
    return g_strdup_printf ("%s %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
        "/%" G_GINT64_FORMAT, n->op_type, kh, kw, s && s->n ? s->ints[0] : 1);
  }
  return g_strdup (n->op_type);
}

static guint64
step_macs (const GnetStep * st)
{
  const GnetNode *n = st->node;

  if (strcmp (n->op_type, "Conv") == 0)
    return (guint64) gnet__view_numel (&st->out[0]) * st->in[1].dims[1]
        * st->in[1].dims[2] * st->in[1].dims[3];
  if (strcmp (n->op_type, "Gemm") == 0 || strcmp (n->op_type, "MatMul") == 0)
    return (guint64) gnet__view_numel (&st->out[0]) * st->in[1].dims[0];
  return 0;
}

static gint
by_time (gconstpointer a, gconstpointer b)
{
  const Bucket *x = *(Bucket * const *) a, *y = *(Bucket * const *) b;
  return (x->ms < y->ms) - (x->ms > y->ms);
}

static void
print_buckets (GPtrArray * list, gdouble total, gint runs, guint limit)
{
  g_ptr_array_sort (list, by_time);
  for (guint i = 0; i < list->len && i < limit; i++) {
    Bucket *b = g_ptr_array_index (list, i);
    gdouble ms = b->ms / runs;
    g_print ("  %-40s %4u %9.3f ms %5.1f%%", b->key, b->count, ms,
        100.0 * b->ms / total);
    if (b->macs)
      g_print ("  %7.2f GMAC %6.1f GFLOP/s", b->macs / 1e9,
          2.0 * b->macs / (ms * 1e6));
    g_print ("\n");
  }
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  GnetModel *model;
  GnetSession *s;
  GnetTensor x = { GNET_DTYPE_FLOAT32, 4, {1, 3, 224, 224}, NULL };
  gint threads = argc > 3 ? atoi (argv[3]) : 1;
  gint runs = argc > 4 ? atoi (argv[4]) : 20;
  GHashTable *classes;
  GPtrArray *class_list, *node_list;
  Bucket *nodes;
  gdouble total = 0.0;
  GRand *rand;
  gchar **outputs = NULL;

  if (argc < 2) {
    g_printerr ("usage: gnet-profile MODEL [N,C,H,W] [THREADS] [RUNS] "
        "[OUTPUT,...]\n");
    return 2;
  }
  if (argc > 2 && sscanf (argv[2], "%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT
          ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT, &x.dims[0], &x.dims[1],
          &x.dims[2], &x.dims[3]) != 4) {
    g_printerr ("gnet-profile: bad shape '%s'\n", argv[2]);
    return 2;
  }
  if (threads == 1)
    clock_id = CLOCK_PROCESS_CPUTIME_ID;
  model = gnet_model_load_file (argv[1], &error);
  if (model == NULL)
    goto fail;
  if (argc > 5) {
    outputs = g_strsplit (argv[5], ",", -1);
    s = gnet_session_new_with_outputs (model,
        (const gchar * const *) outputs, threads, &error);
    g_strfreev (outputs);
  } else {
    s = gnet_session_new (model, threads, &error);
  }
  if (s == NULL)
    goto fail;
  rand = g_rand_new_with_seed (1);
  x.data = g_new (gfloat, gnet_tensor_numel (&x));
  for (gint64 i = 0; i < gnet_tensor_numel (&x); i++)
    ((gfloat *) x.data)[i] = g_rand_double_range (rand, -1, 1);
  g_rand_free (rand);
  /* Plans, copies the input into the arena and warms caches up. */
  for (gint i = 0; i < 3; i++)
    if (!gnet_session_run (s, &x, 1, &error))
      goto fail;

  nodes = g_new0 (Bucket, s->n_steps);
  for (gint r = 0; r < runs; r++) {
    for (guint i = 0; i < s->n_steps; i++) {
      GnetStep *st = &s->steps[i];
      gdouble t0;
      if (st->skip)
        continue;
      t0 = now_ms ();
      st->node->op->forward (st->node, st->in, st->out, s->scratch);
      nodes[i].ms += now_ms () - t0;
    }
  }

  classes = g_hash_table_new (g_str_hash, g_str_equal);
  class_list = g_ptr_array_new_with_free_func (g_free);
  node_list = g_ptr_array_new ();
  for (guint i = 0; i < s->n_steps; i++) {
    GnetStep *st = &s->steps[i];
    gchar *key;
    Bucket *c;
    if (st->skip)
      continue;
    nodes[i].key = g_strdup_printf ("%s (%s)", st->node->name,
        st->node->op_type);
    nodes[i].macs = step_macs (st);
    nodes[i].count = 1;
    g_ptr_array_add (node_list, &nodes[i]);
    key = step_class (st);
    c = g_hash_table_lookup (classes, key);
    if (c == NULL) {
      c = g_new0 (Bucket, 1);
      c->key = key;
      g_hash_table_insert (classes, key, c);
      g_ptr_array_add (class_list, c);
    } else {
      g_free (key);
    }
    c->ms += nodes[i].ms;
    c->macs += nodes[i].macs;
    c->count++;
    total += nodes[i].ms;
  }

  g_print ("%s at %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT "x%"
      G_GINT64_FORMAT "x%" G_GINT64_FORMAT ", %d thread(s), %d runs: "
      "%.3f ms %s per run (sum of steps), %.2f GMAC\n", argv[1],
      x.dims[0], x.dims[1], x.dims[2], x.dims[3], threads, runs,
      total / runs, threads == 1 ? "CPU" : "wall",
      gnet_session_get_macs (s) / 1e9);
  g_print ("by operator class:\n");
  print_buckets (class_list, total, runs, G_MAXUINT);
  g_print ("slowest nodes:\n");
  print_buckets (node_list, total, runs, 15);

  for (guint i = 0; i < s->n_steps; i++)
    g_free (nodes[i].key);
  g_free (nodes);
  g_ptr_array_unref (node_list);
  for (guint i = 0; i < class_list->len; i++)
    g_free (((Bucket *) g_ptr_array_index (class_list, i))->key);
  g_ptr_array_unref (class_list);
  g_hash_table_unref (classes);
  g_free (x.data);
  gnet_session_free (s);
  gnet_model_unref (model);
  return 0;

fail:
  g_printerr ("gnet-profile: %s\n", error->message);
  return 1;
}
