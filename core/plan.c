/* plan.c - shape inference and the memory plan, once per input shape.
 *
 * Every node's output shape is inferred, then every intermediate tensor gets
 * an offset in one arena: tensors whose lifetimes do not overlap share bytes.
 * Two kinds of tensor get no bytes of their own:
 *  - outputs of view operators (Flatten, Reshape, Identity, Dropout) are
 *    their input with other dims;
 *  - inputs of a Concat along the channel axis are written by their
 *    producers straight into their slice of the Concat output, so Inception
 *    modules concatenate without a copy.
 * After planning, running the graph allocates nothing.
 */
#include "gnet-private.h"

#define GNET_MAX_ELEMENTS (G_GINT64_CONSTANT (1) << 34)
/* The most working memory (arena + scratch) one plan may take, in MiB,
 * unless the environment variable GNET_MAX_ARENA_MB (a positive number)
 * says otherwise.  The sample model needs 76 MiB for a whole 1920x1080
 * frame and 302 MiB for 3840x2160 (`gnet info --shape`); the limit is what
 * stops a small hostile file (huge pads, a huge declared input) from
 * making the planner allocate gigabytes. */
#define GNET_DEFAULT_MAX_ARENA_MB 4096

typedef struct
{
  gint root;                    /* value owning the bytes (itself if own) */
  gint64 offset;                /* elements into the root's buffer */
  gint64 batch_stride;
  gint first, last;             /* lifetime in steps (roots only) */
  gsize bytes;
  gsize arena_offset;
  gboolean placed;
} Slot;

void
gnet__session_clear_plan (GnetSession * s)
{
  GnetModel *m = s->model;

  if (s->plan_inputs) {
    for (guint i = 0; i < m->inputs->len; i++)
      g_free (s->plan_inputs[i].data);
    g_clear_pointer (&s->plan_inputs, g_free);
  }
  if (s->steps) {
    for (guint i = 0; i < s->n_steps; i++) {
      g_free (s->steps[i].in);
      g_free (s->steps[i].out);
    }
    g_clear_pointer (&s->steps, g_free);
  }
  s->n_steps = 0;
  g_clear_pointer (&s->views, g_free);
  g_clear_pointer (&s->arena, g_aligned_free);
  g_clear_pointer (&s->scratch, g_aligned_free);
  s->arena_size = s->scratch_size = 0;
  s->macs = 0;
  s->planned = FALSE;
}

/* Element count of a shape, or -1 if a dimension is negative or the count
 * exceeds GNET_MAX_ELEMENTS (tested before each multiplication, so nothing
 * overflows whatever the dims). */
static gint64
bounded_numel (const gint64 * dims, guint ndim)
{
  gint64 n = 1;

  if (ndim > GNET_MAX_DIMS)
    return -1;
  for (guint d = 0; d < ndim; d++) {
    if (dims[d] < 0 || (dims[d] > 0 && n > GNET_MAX_ELEMENTS / dims[d]))
      return -1;
    n *= dims[d];
  }
  return n;
}

static gboolean
check_inputs (GnetSession * s, const GnetTensor * inputs, guint n_inputs,
    GError ** error)
{
  GnetModel *m = s->model;

  if (n_inputs != m->inputs->len) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_INPUT,
        "%s: the model takes %u input%s, %u given", m->name,
        m->inputs->len, m->inputs->len == 1 ? "" : "s", n_inputs);
    return FALSE;
  }
  for (guint i = 0; i < n_inputs; i++) {
    const GnetTensor *t = &inputs[i];
    GnetValue *v = gnet__model_value (m, g_array_index (m->inputs, gint, i));

    if (t->dtype != v->dtype) {
      g_set_error (error, GNET_ERROR, GNET_ERROR_INPUT,
          "%s: input '%s' must be %s, not %s", m->name, v->name,
          gnet_dtype_name (v->dtype), gnet_dtype_name (t->dtype));
      return FALSE;
    }
    if (t->ndim > GNET_MAX_DIMS || (v->ndim > 0 && t->ndim != v->ndim)) {
      g_set_error (error, GNET_ERROR, GNET_ERROR_INPUT,
          "%s: input '%s' must have rank %u, not %u", m->name, v->name,
          v->ndim, t->ndim);
      return FALSE;
    }
    if (bounded_numel (t->dims, t->ndim) < 0) {
      g_set_error (error, GNET_ERROR, GNET_ERROR_INPUT,
          "%s: input '%s' has an invalid shape", m->name, v->name);
      return FALSE;
    }
  }
  return TRUE;
}

static void
view_from_value (GnetView * view, const GnetValue * v)
{
  memset (view, 0, sizeof (*view));
  view->dtype = v->dtype;
  view->ndim = v->ndim;
  memcpy (view->dims, v->dims, sizeof (view->dims));
  if (v->is_const) {
    view->data = v->data;
    view->is_const = TRUE;
  }
}

static gint64
view_batch_stride (const GnetView * v)
{
  gint64 n = gnet__view_numel (v);

  if (v->ndim == 0 || v->dims[0] == 0)
    return n;
  return n / v->dims[0];
}

/* Shape inference for every step, in order. */
static gboolean
infer_shapes (GnetSession * s, GError ** error)
{
  GnetModel *m = s->model;
  gsize scratch = 0;

  for (guint i = 0; i < s->n_steps; i++) {
    GnetStep *st = &s->steps[i];
    const GnetNode *n = st->node;
    GnetOpCost cost = { 0, 0 };

    st->in = g_new0 (GnetView, MAX (1, n->n_inputs));
    st->out = g_new0 (GnetView, MAX (1, n->n_outputs));
    for (guint k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] >= 0)
        st->in[k] = s->views[n->inputs[k]];
    if (!n->op->infer (n, st->in, st->out, &cost, error)) {
      g_prefix_error (error, "%s: node '%s' (%s): ", m->name, n->name,
          n->op_type);
      return FALSE;
    }
    for (guint k = 0; k < n->n_outputs; k++) {
      GnetView *o = &st->out[k];

      if (n->outputs[k] < 0)
        continue;
      if (bounded_numel (o->dims, o->ndim) < 0) {
        g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
            "%s: node '%s' (%s): output %u would have an invalid or "
            "enormous shape", m->name, n->name, n->op_type, k);
        return FALSE;
      }
      o->data = NULL;
      o->is_const = FALSE;
      s->views[n->outputs[k]] = *o;
    }
    s->macs += cost.macs;
    scratch = MAX (scratch, cost.scratch_bytes);
  }
  s->scratch_size = scratch;
  return TRUE;
}

static gboolean
is_session_output (GnetSession * s, gint value)
{
  for (guint i = 0; i < s->n_outputs; i++)
    if (s->output_values[i] == value)
      return TRUE;
  return FALSE;
}

static gint
find_root (Slot * slots, gint v)
{
  while (slots[v].root != v)
    v = slots[v].root;
  return v;
}

/* Lets the producers of a channel Concat write into its output. */
static gboolean
alias_concat (GnetSession * s, Slot * slots, gint * step_of, GnetStep * st)
{
  GnetModel *m = s->model;
  const GnetNode *n = st->node;
  GnetView *out = &st->out[0];
  gint64 axis, inner = 1, c_off = 0;

  if (!gnet__attr_int (n, "axis", 1, &axis, NULL) || out->ndim < 2
      || out->dtype != GNET_DTYPE_FLOAT32)
    return FALSE;
  if (axis < 0)
    axis += out->ndim;
  if (axis != 1)
    return FALSE;
  for (guint d = 2; d < out->ndim; d++)
    inner *= out->dims[d];

  for (guint k = 0; k < n->n_inputs; k++) {
    gint u = n->inputs[k];
    GnetValue *uv;
    gint p;

    if (u < 0)
      return FALSE;
    uv = gnet__model_value (m, u);
    if (uv->is_const || uv->input_index >= 0 || uv->n_consumers != 1
        || slots[u].root != u || is_session_output (s, u))
      return FALSE;
    for (guint j = 0; j < k; j++)
      if (n->inputs[j] == u)
        return FALSE;
    p = step_of[u];
    if (p < 0 || !(s->steps[p].node->op->flags & GNET_OP_STRIDED_OUTPUT))
      return FALSE;
  }
  for (guint k = 0; k < n->n_inputs; k++) {
    gint u = n->inputs[k];

    slots[u].root = n->outputs[0];
    slots[u].offset = c_off * inner;  /* relative to the Concat output */
    slots[u].batch_stride = slots[n->outputs[0]].batch_stride;
    c_off += s->views[u].dims[1];
  }
  st->skip = TRUE;
  return TRUE;
}

static int
compare_slots_by_size (gconstpointer a, gconstpointer b, gpointer user)
{
  const Slot *slots = user;
  gsize sa = slots[*(const gint *) a].bytes, sb = slots[*(const gint *) b].bytes;

  return sa < sb ? 1 : sa > sb ? -1 : 0;
}

/* Greedy by size: each buffer goes to the lowest offset that does not
 * overlap a placed buffer alive at the same time. */
static gsize
place_buffers (Slot * slots, GArray * roots)
{
  gsize total = 0;

  g_array_sort_with_data (roots, compare_slots_by_size, slots);
  for (guint i = 0; i < roots->len; i++) {
    Slot *a = &slots[g_array_index (roots, gint, i)];
    gsize off = 0;
    gboolean moved = TRUE;

    while (moved) {
      moved = FALSE;
      for (guint j = 0; j < i; j++) {
        Slot *b = &slots[g_array_index (roots, gint, j)];
        if (b->last < a->first || a->last < b->first)
          continue;
        if (off < b->arena_offset + b->bytes && b->arena_offset < off + a->bytes) {
          off = b->arena_offset + b->bytes;
          moved = TRUE;
        }
      }
    }
    a->arena_offset = off;
    a->placed = TRUE;
    total = MAX (total, off + a->bytes);
  }
  return total;
}

static guint64
arena_limit_mb (void)
{
  const gchar *env = g_getenv ("GNET_MAX_ARENA_MB");
  guint64 mb;

  if (env && g_ascii_string_to_unsigned (env, 10, 1, G_MAXSIZE >> 21, &mb,
          NULL))
    return mb;
  return GNET_DEFAULT_MAX_ARENA_MB;
}

static gboolean
plan_memory (GnetSession * s, GError ** error)
{
  GnetModel *m = s->model;
  guint nv = m->values->len;
  Slot *slots = g_new0 (Slot, nv);
  gint *step_of = g_new (gint, nv);
  GArray *roots = g_array_new (FALSE, FALSE, sizeof (gint));
  guint64 limit_mb;
  gboolean ok = TRUE;

  for (guint v = 0; v < nv; v++) {
    slots[v].root = v;
    slots[v].batch_stride = view_batch_stride (&s->views[v]);
    slots[v].first = G_MAXINT;
    slots[v].last = -1;
    step_of[v] = -1;
  }
  for (guint i = 0; i < s->n_steps; i++) {
    const GnetNode *n = s->steps[i].node;
    for (guint k = 0; k < n->n_outputs; k++)
      if (n->outputs[k] >= 0)
        step_of[n->outputs[k]] = i;
    if (n->op->flags & GNET_OP_VIEW) {
      slots[n->outputs[0]].root = n->inputs[0];
      s->steps[i].skip = TRUE;
    }
  }
  /* Outer Concats first, so a nested one inherits its parent's slice. */
  for (guint i = s->n_steps; i-- > 0;)
    if (g_str_equal (s->steps[i].node->op_type, "Concat"))
      alias_concat (s, slots, step_of, &s->steps[i]);

  /* Lifetimes, accumulated on roots. */
  for (guint v = 0; v < nv; v++) {
    GnetValue *val = gnet__model_value (m, v);
    gint r = find_root (slots, v);
    gint def = val->input_index >= 0 ? 0 : step_of[v] + 1;

    if (step_of[v] < 0 && val->input_index < 0)
      continue;
    slots[r].first = MIN (slots[r].first, def);
    if (is_session_output (s, v))
      slots[r].last = s->n_steps + 1;
    slots[r].last = MAX (slots[r].last, def);
  }
  for (guint i = 0; i < s->n_steps; i++) {
    const GnetNode *n = s->steps[i].node;
    for (guint k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] >= 0) {
        gint r = find_root (slots, n->inputs[k]);
        slots[r].last = MAX (slots[r].last, (gint) i + 1);
      }
  }
  for (guint v = 0; v < nv; v++) {
    GnetValue *val = gnet__model_value (m, v);
    if (slots[v].root != (gint) v || val->is_const || slots[v].last < 0)
      continue;
    slots[v].bytes = GNET_ALIGN * ((gnet__view_numel (&s->views[v]) *
            gnet_dtype_size (s->views[v].dtype) + GNET_ALIGN - 1) / GNET_ALIGN);
    g_array_append_val (roots, v);
  }
  s->arena_size = place_buffers (slots, roots);
  limit_mb = arena_limit_mb ();
  if (s->arena_size > (limit_mb << 20) || s->scratch_size > (limit_mb << 20)
      || s->arena_size + s->scratch_size > (limit_mb << 20)) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
        "%s: the plan needs %" G_GUINT64_FORMAT " MiB of working memory, "
        "more than the limit of %" G_GUINT64_FORMAT " MiB (set "
        "GNET_MAX_ARENA_MB to change it)", m->name,
        ((guint64) s->arena_size + s->scratch_size) >> 20, limit_mb);
    s->arena_size = s->scratch_size = 0;
    ok = FALSE;
    goto out;
  }
  s->arena = g_aligned_alloc0 (MAX (1, s->arena_size), 1, GNET_ALIGN);
  s->scratch = g_aligned_alloc0 (MAX (1, s->scratch_size), 1, GNET_ALIGN);

  /* Data pointers: constants keep theirs, the rest point into the arena. */
  for (guint v = 0; v < nv; v++) {
    gint r = find_root (slots, v);
    GnetValue *rv = gnet__model_value (m, r);
    guint8 *base;
    gint64 off = 0;

    if (slots[r].last < 0 && !rv->is_const)
      continue;
    for (gint u = v; u != r; u = slots[u].root)
      off += slots[u].offset;
    base = rv->is_const ? rv->data : s->arena + slots[r].arena_offset;
    if (gnet__model_value (m, v)->is_const)
      continue;
    s->views[v].data = base + off * gnet_dtype_size (s->views[v].dtype);
    s->views[v].batch_stride = slots[v].batch_stride;
    if (rv->is_const)
      s->views[v].is_const = TRUE;
  }
out:
  g_array_unref (roots);
  g_free (step_of);
  g_free (slots);
  return ok;
}

gboolean
gnet__session_plan (GnetSession * s, const GnetTensor * inputs,
    guint n_inputs, GError ** error)
{
  GnetModel *m = s->model;
  guint nv = m->values->len;

  gnet__session_clear_plan (s);
  if (!check_inputs (s, inputs, n_inputs, error))
    return FALSE;

  s->views = g_new0 (GnetView, nv);
  for (guint v = 0; v < nv; v++)
    view_from_value (&s->views[v], gnet__model_value (m, v));
  s->plan_inputs = g_new0 (GnetTensor, MAX (1, n_inputs));
  for (guint i = 0; i < n_inputs; i++) {
    GnetTensor *p = &s->plan_inputs[i];
    GnetView *view = &s->views[g_array_index (m->inputs, gint, i)];

    *p = inputs[i];
    p->data = NULL;
    view->ndim = p->ndim;
    memcpy (view->dims, p->dims, sizeof (view->dims));
    /* int64 inputs may feed shapes (Reshape): plan with their values. */
    if (p->dtype == GNET_DTYPE_INT64 && inputs[i].data) {
      p->data = g_memdup2 (inputs[i].data,
          MAX (1, gnet_tensor_numel (p) * sizeof (gint64)));
      view->data = p->data;
      view->is_const = TRUE;
    }
  }
  s->n_steps = s->needed->len;
  s->steps = g_new0 (GnetStep, MAX (1, s->n_steps));
  for (guint i = 0; i < s->n_steps; i++)
    s->steps[i].node = gnet__model_node (m, g_array_index (s->needed, guint,
            i));

  if (!infer_shapes (s, error)) {
    gnet__session_clear_plan (s);
    return FALSE;
  }
  if (!plan_memory (s, error)) {
    gnet__session_clear_plan (s);
    return FALSE;
  }

  /* Each step's views, now with data pointers. */
  for (guint i = 0; i < s->n_steps; i++) {
    GnetStep *st = &s->steps[i];
    const GnetNode *n = st->node;
    for (guint k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] >= 0)
        st->in[k] = s->views[n->inputs[k]];
    for (guint k = 0; k < n->n_outputs; k++)
      if (n->outputs[k] >= 0)
        st->out[k] = s->views[n->outputs[k]];
    /* A view op with a second output (Dropout's mask) must still run to
     * fill it; its first output shares its input's bytes either way. */
    if ((n->op->flags & GNET_OP_VIEW) && (st->in[0].data != st->out[0].data
            || (n->n_outputs > 1 && n->outputs[1] >= 0)))
      st->skip = FALSE;
  }
  for (guint i = 0; i < s->n_outputs; i++) {
    GnetView *view = &s->views[s->output_values[i]];
    GnetTensor *t = &s->outputs[i];

    t->dtype = view->dtype;
    t->ndim = view->ndim;
    memcpy (t->dims, view->dims, sizeof (t->dims));
    t->data = view->data;
  }
  s->planned = TRUE;
  s->n_plans++;
  return TRUE;
}
