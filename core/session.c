/* session.c - running a planned graph.
 *
 * gnet_session_run() checks the inputs against the shapes it planned for,
 * re-plans only when they differ, copies the inputs into the arena and calls
 * each operator's forward pass.  Nothing is allocated on that path.
 */
#include "gnet-private.h"

#include <cblas.h>

/* Marks the nodes the requested outputs depend on. */
static GArray *
needed_nodes (GnetModel * m, const gint * outputs, guint n_outputs)
{
  GArray *needed = g_array_new (FALSE, FALSE, sizeof (guint));
  gboolean *want = g_new0 (gboolean, MAX (1, m->values->len));

  for (guint i = 0; i < n_outputs; i++)
    want[outputs[i]] = TRUE;
  for (guint i = m->nodes->len; i-- > 0;) {
    GnetNode *n = gnet__model_node (m, i);
    gboolean use = FALSE;

    for (guint k = 0; k < n->n_outputs; k++)
      use |= n->outputs[k] >= 0 && want[n->outputs[k]];
    if (!use)
      continue;
    for (guint k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] >= 0)
        want[n->inputs[k]] = TRUE;
    g_array_prepend_val (needed, i);
  }
  g_free (want);
  return needed;
}

GnetSession *
gnet_session_new_with_outputs (GnetModel * model,
    const gchar * const *output_names, gint n_threads, GError ** error)
{
  GnetSession *s;
  guint n = 0;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  s = g_new0 (GnetSession, 1);
  s->model = gnet_model_ref (model);
  s->n_threads = n_threads > 0 ? n_threads : (gint) g_get_num_processors ();
  s->blas_threads = s->n_threads;
  if (output_names == NULL) {
    s->n_outputs = model->outputs->len;
    s->output_values = g_new (gint, MAX (1, s->n_outputs));
    for (guint i = 0; i < s->n_outputs; i++)
      s->output_values[i] = g_array_index (model->outputs, gint, i);
  } else {
    while (output_names[n])
      n++;
    s->n_outputs = n;
    s->output_values = g_new (gint, MAX (1, n));
    for (guint i = 0; i < n; i++) {
      gint v = gnet__model_find_value (model, output_names[i]);
      if (v < 0 || (gnet__model_value (model, v)->producer < 0
              && gnet__model_value (model, v)->input_index < 0
              && !gnet__model_value (model, v)->is_const)) {
        g_set_error (error, GNET_ERROR, GNET_ERROR_GRAPH,
            "%s: no tensor named '%s' is computed by the model", model->name,
            output_names[i]);
        gnet_session_free (s);
        return NULL;
      }
      s->output_values[i] = v;
    }
  }
  s->outputs = g_new0 (GnetTensor, MAX (1, s->n_outputs));
  s->needed = needed_nodes (model, s->output_values, s->n_outputs);
  return s;
}

GnetSession *
gnet_session_new (GnetModel * model, gint n_threads, GError ** error)
{
  return gnet_session_new_with_outputs (model, NULL, n_threads, error);
}

void
gnet_session_free (GnetSession * s)
{
  if (s == NULL)
    return;
  gnet__session_clear_plan (s);
  if (s->needed)
    g_array_unref (s->needed);
  g_free (s->outputs);
  g_free (s->output_values);
  gnet_model_unref (s->model);
  g_free (s);
}

gboolean
gnet_session_plan (GnetSession * s, const GnetTensor * inputs,
    guint n_inputs, GError ** error)
{
  g_return_val_if_fail (s != NULL, FALSE);
  g_return_val_if_fail (inputs != NULL || n_inputs == 0, FALSE);
  return gnet__session_plan (s, inputs, n_inputs, error);
}

/* Same shapes (and same int64 shape-input values) as planned? */
static gboolean
plan_matches (const GnetSession * s, const GnetTensor * inputs,
    guint n_inputs)
{
  if (!s->planned || n_inputs != s->model->inputs->len)
    return FALSE;
  for (guint i = 0; i < n_inputs; i++) {
    const GnetTensor *p = &s->plan_inputs[i], *t = &inputs[i];

    if (p->dtype != t->dtype || p->ndim != t->ndim
        || memcmp (p->dims, t->dims, t->ndim * sizeof (gint64)) != 0)
      return FALSE;
    if (p->data && (t->data == NULL || memcmp (p->data, t->data,
                gnet_tensor_numel (t) * sizeof (gint64)) != 0))
      return FALSE;
  }
  return TRUE;
}

gboolean
gnet_session_run (GnetSession * s, const GnetTensor * inputs, guint n_inputs,
    GError ** error)
{
  GnetModel *m;

  g_return_val_if_fail (s != NULL, FALSE);
  g_return_val_if_fail (inputs != NULL || n_inputs == 0, FALSE);
  m = s->model;

  if (!plan_matches (s, inputs, n_inputs)
      && !gnet__session_plan (s, inputs, n_inputs, error))
    return FALSE;
  for (guint i = 0; i < n_inputs; i++) {
    GnetView *view = &s->views[g_array_index (m->inputs, gint, i)];
    gsize bytes = gnet_tensor_numel (&inputs[i]) *
        gnet_dtype_size (inputs[i].dtype);

    if (inputs[i].data == NULL && bytes > 0) {
      g_set_error (error, GNET_ERROR, GNET_ERROR_INPUT,
          "%s: input %u has no data", m->name, i);
      return FALSE;
    }
    if (bytes > 0 && view->data != inputs[i].data)
      memcpy (view->data, inputs[i].data, bytes);
  }
  if (openblas_get_num_threads () != s->blas_threads)
    openblas_set_num_threads (s->blas_threads);
  gnet__run_threads = s->n_threads;
  for (guint i = 0; i < s->n_steps; i++) {
    GnetStep *st = &s->steps[i];
    if (!st->skip)
      st->node->op->forward (st->node, st->in, st->out, s->scratch);
  }
  gnet__run_threads = 0;
  return TRUE;
}

guint
gnet_session_get_n_outputs (const GnetSession * s)
{
  g_return_val_if_fail (s != NULL, 0);
  return s->n_outputs;
}

const GnetTensor *
gnet_session_get_output (const GnetSession * s, guint index)
{
  g_return_val_if_fail (s != NULL, NULL);
  if (index >= s->n_outputs || !s->planned)
    return NULL;
  return &s->outputs[index];
}

const gchar *
gnet_session_get_output_name (const GnetSession * s, guint index)
{
  g_return_val_if_fail (s != NULL, NULL);
  if (index >= s->n_outputs)
    return NULL;
  return gnet__model_value (s->model, s->output_values[index])->name;
}

guint64
gnet_session_get_macs (const GnetSession * s)
{
  g_return_val_if_fail (s != NULL, 0);
  return s->macs;
}

gsize
gnet_session_get_arena_size (const GnetSession * s)
{
  g_return_val_if_fail (s != NULL, 0);
  return s->arena_size + s->scratch_size;
}

guint
gnet_session_get_n_plans (const GnetSession * s)
{
  g_return_val_if_fail (s != NULL, 0);
  return s->n_plans;
}

gint
gnet_session_get_n_threads (const GnetSession * s)
{
  g_return_val_if_fail (s != NULL, 0);
  return s->n_threads;
}

void
gnet__session_set_n_threads (GnetSession * s, gint n_threads,
    gint blas_threads)
{
  s->n_threads = n_threads > 0 ? n_threads : (gint) g_get_num_processors ();
  s->blas_threads = blas_threads > 0 ? blas_threads : s->n_threads;
}
