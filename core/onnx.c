/* onnx.c - ONNX protobuf bytes -> GnetModel.
 *
 * The protobuf-c code is generated at build time from the onnx.proto that
 * Debian's libonnx-dev installs.  Everything read from the file is checked
 * before use: a hostile file gets a GError naming the file, the node and the
 * reason, never a crash and never an allocation bigger than the file
 * justifies.
 */
#include "gnet-private.h"
#include "onnx.pb-c.h"

#define GNET_OPSET_MIN 7
#define GNET_OPSET_MAX 17
/* No single tensor in a model we run is anywhere near this; it keeps size
 * arithmetic far from overflow. */
#define GNET_MAX_ELEMENTS (G_GINT64_CONSTANT (1) << 34)
/* GoogLeNet has about 150 nodes.  The memory planner is quadratic in the
 * number of intermediate tensors, so a bound here is what keeps a hostile
 * file of a few megabytes of trivial nodes from planning for minutes. */
#define GNET_MAX_NODES 16384

static gboolean
dtype_from_onnx (gint32 onnx_type, GnetDType * out)
{
  switch (onnx_type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
      *out = GNET_DTYPE_FLOAT32;
      return TRUE;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
      *out = GNET_DTYPE_INT64;
      return TRUE;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:
      *out = GNET_DTYPE_BOOL;
      return TRUE;
    default:
      return FALSE;
  }
}

static const gchar *
onnx_type_name (gint32 onnx_type)
{
  static const gchar *const names[] = {
    "undefined", "float32", "uint8", "int8", "uint16", "int16", "int32",
    "int64", "string", "bool", "float16", "float64", "uint32", "uint64",
    "complex64", "complex128", "bfloat16"
  };

  if (onnx_type >= 0 && onnx_type < (gint32) G_N_ELEMENTS (names))
    return names[onnx_type];
  return "unknown";
}

/* Checks dims and returns the element count, or -1 with an error. */
static gint64
checked_numel (const gint64 * dims, gsize ndim, const gchar * what,
    GError ** error)
{
  gint64 n = 1;

  if (ndim > GNET_MAX_DIMS) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
        "%s has %" G_GSIZE_FORMAT " dimensions, at most %d are supported",
        what, ndim, GNET_MAX_DIMS);
    return -1;
  }
  for (gsize i = 0; i < ndim; i++) {
    if (dims[i] < 0 || dims[i] > GNET_MAX_ELEMENTS) {
      g_set_error (error, GNET_ERROR, GNET_ERROR_PARSE,
          "%s has invalid dimension %" G_GINT64_FORMAT, what, dims[i]);
      return -1;
    }
    /* Both factors are at most 2^34: test before multiplying. */
    if (dims[i] != 0 && n > GNET_MAX_ELEMENTS / dims[i]) {
      g_set_error (error, GNET_ERROR, GNET_ERROR_PARSE,
          "%s has too many elements", what);
      return -1;
    }
    n *= dims[i];
  }
  return n;
}

gboolean
gnet__tensor_from_proto (const void *tensor_proto, const gchar * what,
    GnetTensor * out, GError ** error)
{
  const Onnx__TensorProto *t = tensor_proto;
  GnetDType dtype;
  gint64 numel;
  gsize esize, nbytes;

  memset (out, 0, sizeof (*out));
  if (!dtype_from_onnx (t->data_type, &dtype)) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
        "%s has element type %s; only float32, int64 and bool are supported",
        what, onnx_type_name (t->data_type));
    return FALSE;
  }
  if (t->has_data_location
      && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
        "%s keeps its data in an external file, which is not supported",
        what);
    return FALSE;
  }
  if (t->segment != NULL) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
        "%s is a segmented tensor, which is not supported", what);
    return FALSE;
  }
  numel = checked_numel (t->dims, t->n_dims, what, error);
  if (numel < 0)
    return FALSE;
  esize = gnet_dtype_size (dtype);
  nbytes = (gsize) numel *esize;

  if (t->has_raw_data && t->raw_data.len != nbytes) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_PARSE,
        "%s: raw data has %" G_GSIZE_FORMAT " bytes but its shape needs %"
        G_GSIZE_FORMAT, what, t->raw_data.len, nbytes);
    return FALSE;
  }
  if (!t->has_raw_data) {
    gsize have = dtype == GNET_DTYPE_FLOAT32 ? t->n_float_data :
        dtype == GNET_DTYPE_INT64 ? t->n_int64_data : t->n_int32_data;
    if (have != (gsize) numel) {
      g_set_error (error, GNET_ERROR, GNET_ERROR_PARSE,
          "%s has %" G_GSIZE_FORMAT " values but its shape needs %"
          G_GINT64_FORMAT, what, have, numel);
      return FALSE;
    }
  }

  out->dtype = dtype;
  out->ndim = t->n_dims;
  for (gsize i = 0; i < t->n_dims; i++)
    out->dims[i] = t->dims[i];
  out->data = g_malloc (MAX (nbytes, 1));
  if (nbytes == 0) {
    /* An empty tensor: its data fields may be NULL. */
  } else if (t->has_raw_data) {
    /* ONNX raw data is little-endian, as is every machine we target. */
    memcpy (out->data, t->raw_data.data, nbytes);
  } else if (dtype == GNET_DTYPE_FLOAT32) {
    memcpy (out->data, t->float_data, nbytes);
  } else if (dtype == GNET_DTYPE_INT64) {
    memcpy (out->data, t->int64_data, nbytes);
  } else {
    guint8 *b = out->data;
    for (gint64 i = 0; i < numel; i++)
      b[i] = t->int32_data[i] != 0;
  }
  return TRUE;
}

/* ------------------------------------------------------------------------ */

typedef struct
{
  GnetModel *model;
  const gchar *file;
} Loader;

static gint
add_value (Loader * l, const gchar * name, GError ** error)
{
  GnetModel *m = l->model;
  GnetValue *v;

  if (name == NULL || *name == '\0') {
    g_set_error (error, GNET_ERROR, GNET_ERROR_GRAPH,
        "%s: a tensor has an empty name", l->file);
    return -1;
  }
  if (gnet__model_find_value (m, name) >= 0) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_GRAPH,
        "%s: tensor name '%s' is defined more than once", l->file, name);
    return -1;
  }
  v = g_new0 (GnetValue, 1);
  v->name = g_strdup (name);
  v->producer = -1;
  v->input_index = -1;
  g_ptr_array_add (m->values, v);
  g_hash_table_insert (m->value_index, v->name,
      GINT_TO_POINTER (m->values->len));
  return m->values->len - 1;
}

static gint
add_constant (Loader * l, const gchar * name, GnetTensor * t)
{
  gint idx = add_value (l, name, NULL);
  GnetValue *v;

  if (idx < 0)
    return -1;
  v = gnet__model_value (l->model, idx);
  v->is_const = TRUE;
  v->dtype = t->dtype;
  v->ndim = t->ndim;
  memcpy (v->dims, t->dims, sizeof (v->dims));
  v->data = t->data;
  t->data = NULL;
  return idx;
}

static gboolean
load_initializers (Loader * l, Onnx__GraphProto * g, GError ** error)
{
  for (gsize i = 0; i < g->n_initializer; i++) {
    Onnx__TensorProto *tp = g->initializer[i];
    GnetTensor t;
    gchar *what;
    gboolean ok;

    what = g_strdup_printf ("%s: initializer '%s'", l->file,
        tp->name ? tp->name : "");
    ok = gnet__tensor_from_proto (tp, what, &t, error);
    g_free (what);
    if (!ok)
      return FALSE;
    if (add_constant (l, tp->name, &t) < 0) {
      gnet_tensor_clear (&t);
      g_set_error (error, GNET_ERROR, GNET_ERROR_GRAPH,
          "%s: initializer name '%s' is empty or defined more than once",
          l->file, tp->name ? tp->name : "");
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
read_value_type (Loader * l, Onnx__ValueInfoProto * vi, GnetValue * v,
    const gchar * kind, GError ** error)
{
  Onnx__TypeProto__Tensor *tt;
  Onnx__TensorShapeProto *shape;

  if (vi->type == NULL || vi->type->value_case !=
      ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || vi->type->tensor_type == NULL) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
        "%s: graph %s '%s' is not a tensor (sequences, maps and optionals "
        "are not supported)", l->file, kind, v->name);
    return FALSE;
  }
  tt = vi->type->tensor_type;
  if (!dtype_from_onnx (tt->elem_type, &v->dtype)) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
        "%s: graph %s '%s' has element type %s; only float32, int64 and "
        "bool are supported", l->file, kind, v->name,
        onnx_type_name (tt->elem_type));
    return FALSE;
  }
  shape = tt->shape;
  v->ndim = 0;
  if (shape == NULL)
    return TRUE;
  if (shape->n_dim > GNET_MAX_DIMS) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
        "%s: graph %s '%s' has %" G_GSIZE_FORMAT " dimensions, at most %d "
        "are supported", l->file, kind, v->name, shape->n_dim, GNET_MAX_DIMS);
    return FALSE;
  }
  v->ndim = shape->n_dim;
  for (gsize i = 0; i < shape->n_dim; i++) {
    Onnx__TensorShapeProto__Dimension *d = shape->dim[i];
    gboolean known = d->value_case ==
        ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    v->dims[i] = known && d->dim_value >= 0 ? d->dim_value : -1;
  }
  return TRUE;
}

static gboolean
load_inputs (Loader * l, Onnx__GraphProto * g, GError ** error)
{
  for (gsize i = 0; i < g->n_input; i++) {
    Onnx__ValueInfoProto *vi = g->input[i];
    GnetValue *v;
    gint idx;

    /* An input that is also an initializer is a constant with a default
     * value; we do not let callers override weights. */
    if (vi->name && gnet__model_find_value (l->model, vi->name) >= 0)
      continue;
    idx = add_value (l, vi->name, error);
    if (idx < 0)
      return FALSE;
    v = gnet__model_value (l->model, idx);
    if (!read_value_type (l, vi, v, "input", error))
      return FALSE;
    v->input_index = l->model->inputs->len;
    g_array_append_val (l->model->inputs, idx);
  }
  return TRUE;
}

static gboolean
convert_attr (Loader * l, const GnetNode * n, Onnx__AttributeProto * ap,
    GnetAttr * a, GError ** error)
{
  gint type = ap->type;

  a->name = g_strdup (ap->name ? ap->name : "");
  a->tensor = -1;
  /* Very old files leave the type unset: infer it from the filled field. */
  if (type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED) {
    if (ap->n_ints)
      type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    else if (ap->n_floats)
      type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
    else if (ap->has_s)
      type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    else if (ap->t)
      type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    else if (ap->has_f)
      type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    else if (ap->has_i)
      type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
  }
  switch (type) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
      a->type = GNET_ATTR_FLOAT;
      a->f = ap->f;
      break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
      a->type = GNET_ATTR_INT;
      a->i = ap->i;
      break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
      a->type = GNET_ATTR_STRING;
      a->s = g_strndup ((const gchar *) ap->s.data, ap->s.len);
      break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
      a->type = GNET_ATTR_FLOATS;
      a->n = ap->n_floats;
      a->floats = g_memdup2 (ap->floats, ap->n_floats * sizeof (gfloat));
      break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
      a->type = GNET_ATTR_INTS;
      a->n = ap->n_ints;
      a->ints = g_memdup2 (ap->ints, ap->n_ints * sizeof (gint64));
      break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:{
      GnetTensor t;
      gchar *what, *cname;
      gboolean ok;

      a->type = GNET_ATTR_TENSOR;
      if (ap->t == NULL)
        break;
      what = g_strdup_printf ("%s: node '%s' (%s): attribute '%s'", l->file,
          n->name, n->op_type, a->name);
      ok = gnet__tensor_from_proto (ap->t, what, &t, error);
      g_free (what);
      if (!ok)
        return FALSE;
      /* Anonymous constant: a name no ONNX tensor can have. */
      cname = g_strdup_printf ("\x01%s/%s/%u", n->name, a->name,
          l->model->values->len);
      a->tensor = add_constant (l, cname, &t);
      g_free (cname);
      break;
    }
    default:
      a->type = GNET_ATTR_OTHER;
      break;
  }
  return TRUE;
}

/* Turns a Constant node into a constant value named after its output; the
 * node is then dropped. */
static gboolean
fold_constant_node (Loader * l, GnetNode * n, GError ** error)
{
  GnetTensor t = { 0 };
  const GnetAttr *a;
  GnetValue *v;

  if (n->n_outputs != 1 || n->outputs[0] < 0 || n->n_inputs != 0) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_GRAPH,
        "%s: node '%s' (Constant): needs no input and one output", l->file,
        n->name);
    return FALSE;
  }
  if ((a = gnet__node_attr (n, "value")) && a->type == GNET_ATTR_TENSOR
      && a->tensor >= 0) {
    GnetValue *src = gnet__model_value (l->model, a->tensor);
    t.dtype = src->dtype;
    t.ndim = src->ndim;
    memcpy (t.dims, src->dims, sizeof (t.dims));
    t.data = g_memdup2 (src->data,
        MAX (1, gnet_tensor_numel (&t) * gnet_dtype_size (t.dtype)));
  } else if ((a = gnet__node_attr (n, "value_float"))
      && a->type == GNET_ATTR_FLOAT) {
    t.dtype = GNET_DTYPE_FLOAT32;
    t.data = g_memdup2 (&a->f, sizeof (gfloat));
  } else if ((a = gnet__node_attr (n, "value_floats"))
      && a->type == GNET_ATTR_FLOATS) {
    t.dtype = GNET_DTYPE_FLOAT32;
    t.ndim = 1;
    t.dims[0] = a->n;
    t.data = g_memdup2 (a->floats, MAX (1, a->n * sizeof (gfloat)));
  } else if ((a = gnet__node_attr (n, "value_int"))
      && a->type == GNET_ATTR_INT) {
    t.dtype = GNET_DTYPE_INT64;
    t.data = g_memdup2 (&a->i, sizeof (gint64));
  } else if ((a = gnet__node_attr (n, "value_ints"))
      && a->type == GNET_ATTR_INTS) {
    t.dtype = GNET_DTYPE_INT64;
    t.ndim = 1;
    t.dims[0] = a->n;
    t.data = g_memdup2 (a->ints, MAX (1, a->n * sizeof (gint64)));
  } else {
    g_set_error (error, GNET_ERROR, GNET_ERROR_ATTRIBUTE,
        "%s: node '%s' (Constant): no supported value attribute (value, "
        "value_float(s), value_int(s))", l->file, n->name);
    return FALSE;
  }
  v = gnet__model_value (l->model, n->outputs[0]);
  v->is_const = TRUE;
  v->dtype = t.dtype;
  v->ndim = t.ndim;
  memcpy (v->dims, t.dims, sizeof (v->dims));
  v->data = t.data;
  v->producer = -1;
  n->removed = TRUE;
  return TRUE;
}

/* Is this node in the default ONNX domain? */
static gboolean
default_domain (const gchar * d)
{
  return d == NULL || *d == '\0' || g_str_equal (d, "ai.onnx");
}

/* *out is always set (so the caller can free it); FALSE on error. */
static gboolean
convert_node (Loader * l, Onnx__NodeProto * np, guint index, GnetNode ** out,
    GError ** error)
{
  GnetNode *n = g_new0 (GnetNode, 1);

  *out = n;
  n->op_type = g_strdup (np->op_type ? np->op_type : "");
  n->name = np->name && *np->name ? g_strdup (np->name) :
      g_strdup_printf ("%s_%u", n->op_type, index);
  n->opset = l->model->opset;
  n->n_inputs = np->n_input;
  n->n_outputs = np->n_output;
  n->inputs = g_new (gint, MAX (1, np->n_input));
  n->outputs = g_new (gint, MAX (1, np->n_output));
  for (gsize i = 0; i < np->n_input; i++)
    n->inputs[i] = -1;
  for (gsize i = 0; i < np->n_output; i++)
    n->outputs[i] = -1;
  n->attrs = g_new0 (GnetAttr, MAX (1, np->n_attribute));
  /* An unknown operator is the clearer message than anything about its
   * attributes. */
  if (default_domain (np->domain) && !g_str_equal (n->op_type, "Constant")
      && gnet__op_lookup (n->op_type) == NULL) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED_OP,
        "%s: node '%s' uses operator '%s', which gnet does not implement",
        l->file, n->name, n->op_type);
    return FALSE;
  }
  for (gsize i = 0; i < np->n_attribute; i++) {
    n->n_attrs++;
    if (!convert_attr (l, n, np->attribute[i], &n->attrs[i], error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
load_nodes (Loader * l, Onnx__GraphProto * g, GError ** error)
{
  GnetModel *m = l->model;
  GPtrArray *raw = g_ptr_array_new ();
  gboolean ok = FALSE;

  /* Pass 1: convert nodes, define every output name. */
  for (gsize i = 0; i < g->n_node; i++) {
    Onnx__NodeProto *np = g->node[i];
    GnetNode *n;
    gboolean converted = convert_node (l, np, i, &n, error);

    g_ptr_array_add (raw, n);
    if (!converted)
      goto out;
    if (!default_domain (np->domain)) {
      g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED_OP,
          "%s: node '%s' uses operator '%s' of domain '%s', which gnet does "
          "not implement", l->file, n->name, n->op_type, np->domain);
      goto out;
    }
    for (gsize k = 0; k < np->n_output; k++) {
      if (np->output[k] == NULL || *np->output[k] == '\0')
        continue;               /* optional output left out */
      n->outputs[k] = add_value (l, np->output[k], NULL);
      if (n->outputs[k] < 0) {
        g_set_error (error, GNET_ERROR, GNET_ERROR_GRAPH,
            "%s: node '%s' (%s): output '%s' is already defined (tensor "
            "names must be unique)", l->file, n->name, n->op_type,
            np->output[k]);
        goto out;
      }
      gnet__model_value (m, n->outputs[k])->producer = i;
    }
  }
  /* Pass 2: resolve inputs. */
  for (guint i = 0; i < raw->len; i++) {
    Onnx__NodeProto *np = g->node[i];
    GnetNode *n = g_ptr_array_index (raw, i);

    for (gsize k = 0; k < np->n_input; k++) {
      if (np->input[k] == NULL || *np->input[k] == '\0')
        continue;               /* optional input left out */
      n->inputs[k] = gnet__model_find_value (m, np->input[k]);
      if (n->inputs[k] < 0) {
        g_set_error (error, GNET_ERROR, GNET_ERROR_GRAPH,
            "%s: node '%s' (%s): input '%s' is not produced by any node, "
            "initializer or graph input", l->file, n->name, n->op_type,
            np->input[k]);
        goto out;
      }
    }
  }
  ok = TRUE;
out:
  /* Nodes are handed over in file order; sort_nodes() orders them. */
  for (guint i = 0; i < raw->len; i++)
    g_ptr_array_add (m->nodes, g_ptr_array_index (raw, i));
  g_ptr_array_free (raw, TRUE);
  return ok;
}

/* Kahn's algorithm: ONNX requires topological order but we do not trust
 * files; a cycle is an error naming a node on it. */
static gboolean
sort_nodes (Loader * l, GError ** error)
{
  GnetModel *m = l->model;
  guint n_nodes = m->nodes->len;
  guint *pending = g_new0 (guint, MAX (1, n_nodes));
  GPtrArray *sorted = g_ptr_array_sized_new (n_nodes);
  GQueue ready = G_QUEUE_INIT;
  GPtrArray *consumers = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_array_unref);
  gboolean ok = TRUE;

  for (guint v = 0; v < m->values->len; v++)
    g_ptr_array_add (consumers, g_array_new (FALSE, FALSE, sizeof (guint)));
  for (guint i = 0; i < n_nodes; i++) {
    GnetNode *n = gnet__model_node (m, i);
    for (guint k = 0; k < n->n_inputs; k++) {
      gint v = n->inputs[k];
      if (v < 0 || gnet__model_value (m, v)->producer < 0)
        continue;
      pending[i]++;
      g_array_append_val (g_ptr_array_index (consumers, v), i);
    }
    if (pending[i] == 0)
      g_queue_push_tail (&ready, GUINT_TO_POINTER (i));
  }
  while (!g_queue_is_empty (&ready)) {
    guint i = GPOINTER_TO_UINT (g_queue_pop_head (&ready));
    GnetNode *n = gnet__model_node (m, i);

    g_ptr_array_add (sorted, n);
    for (guint k = 0; k < n->n_outputs; k++) {
      GArray *c;
      if (n->outputs[k] < 0)
        continue;
      c = g_ptr_array_index (consumers, n->outputs[k]);
      for (guint j = 0; j < c->len; j++) {
        guint ci = g_array_index (c, guint, j);
        if (--pending[ci] == 0)
          g_queue_push_tail (&ready, GUINT_TO_POINTER (ci));
      }
    }
  }
  if (sorted->len != n_nodes) {
    for (guint i = 0; i < n_nodes; i++)
      if (pending[i]) {
        GnetNode *n = gnet__model_node (m, i);
        g_set_error (error, GNET_ERROR, GNET_ERROR_GRAPH,
            "%s: the graph has a cycle through node '%s' (%s)", l->file,
            n->name, n->op_type);
        break;
      }
    ok = FALSE;
  } else if (n_nodes > 0) {
    /* Same pointers, new order; the array keeps ownership. */
    memcpy (m->nodes->pdata, sorted->pdata, n_nodes * sizeof (gpointer));
  }
  g_queue_clear (&ready);
  g_ptr_array_unref (consumers);
  g_ptr_array_free (sorted, TRUE);
  g_free (pending);
  return ok;
}

/* Constant nodes become constants; every other node gets its operator,
 * its input/output counts checked and its attributes parsed. */
static gboolean
bind_operators (Loader * l, GError ** error)
{
  GnetModel *m = l->model;

  for (guint i = 0; i < m->nodes->len; i++) {
    GnetNode *n = gnet__model_node (m, i);

    if (g_str_equal (n->op_type, "Constant")) {
      if (!fold_constant_node (l, n, error))
        return FALSE;
      continue;
    }
    n->op = gnet__op_lookup (n->op_type);
    if (n->op == NULL) {
      g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED_OP,
          "%s: node '%s' uses operator '%s', which gnet does not implement",
          l->file, n->name, n->op_type);
      return FALSE;
    }
    if (n->opset < n->op->min_opset) {
      g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED_OP,
          "%s: node '%s' (%s): gnet implements this operator from opset %"
          G_GINT64_FORMAT ", the model uses opset %" G_GINT64_FORMAT,
          l->file, n->name, n->op_type, n->op->min_opset, n->opset);
      return FALSE;
    }
    if (n->n_inputs < n->op->min_inputs || n->n_inputs > n->op->max_inputs
        || n->n_outputs < n->op->min_outputs
        || n->n_outputs > n->op->max_outputs) {
      g_set_error (error, GNET_ERROR, GNET_ERROR_GRAPH,
          "%s: node '%s' (%s): has %u inputs and %u outputs; the operator "
          "takes %u to %u inputs and %u to %u outputs", l->file, n->name,
          n->op_type, n->n_inputs, n->n_outputs, n->op->min_inputs,
          n->op->max_inputs, n->op->min_outputs, n->op->max_outputs);
      return FALSE;
    }
    for (guint k = 0; k < n->op->min_inputs; k++)
      if (n->inputs[k] < 0) {
        g_set_error (error, GNET_ERROR, GNET_ERROR_GRAPH,
            "%s: node '%s' (%s): required input %u is missing", l->file,
            n->name, n->op_type, k);
        return FALSE;
      }
    if (n->outputs[0] < 0) {
      g_set_error (error, GNET_ERROR, GNET_ERROR_GRAPH,
          "%s: node '%s' (%s): has no output name", l->file, n->name,
          n->op_type);
      return FALSE;
    }
    n->params = g_malloc0 (MAX (1, n->op->params_size));
    if (n->op->init && !n->op->init (n, n->params, error)) {
      g_prefix_error (error, "%s: node '%s' (%s): ", l->file, n->name,
          n->op_type);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
load_outputs (Loader * l, Onnx__GraphProto * g, GError ** error)
{
  if (g->n_output == 0) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_GRAPH,
        "%s: the graph has no outputs", l->file);
    return FALSE;
  }
  for (gsize i = 0; i < g->n_output; i++) {
    Onnx__ValueInfoProto *vi = g->output[i];
    gint idx = vi->name ? gnet__model_find_value (l->model, vi->name) : -1;
    GnetValue *v;

    if (idx < 0) {
      g_set_error (error, GNET_ERROR, GNET_ERROR_GRAPH,
          "%s: graph output '%s' is not produced by any node, initializer "
          "or input", l->file, vi->name ? vi->name : "");
      return FALSE;
    }
    v = gnet__model_value (l->model, idx);
    if (v->producer >= 0) {
      GnetValue decl = *v;
      if (!read_value_type (l, vi, &decl, "output", error))
        return FALSE;
      v->dtype = decl.dtype;
      v->ndim = decl.ndim;
      memcpy (v->dims, decl.dims, sizeof (v->dims));
    }
    g_array_append_val (l->model->outputs, idx);
  }
  return TRUE;
}

static gboolean
load_opset (Loader * l, Onnx__ModelProto * mp, GError ** error)
{
  gint64 opset = -1;

  for (gsize i = 0; i < mp->n_opset_import; i++)
    if (default_domain (mp->opset_import[i]->domain))
      opset = mp->opset_import[i]->version;
  if (opset < 0) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_PARSE,
        "%s: no opset_import for the default ONNX domain", l->file);
    return FALSE;
  }
  if (opset < GNET_OPSET_MIN || opset > GNET_OPSET_MAX) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
        "%s: opset %" G_GINT64_FORMAT " is not supported (gnet runs opsets "
        "%d to %d)", l->file, opset, GNET_OPSET_MIN, GNET_OPSET_MAX);
    return FALSE;
  }
  l->model->opset = opset;
  return TRUE;
}

static void
load_metadata (Loader * l, Onnx__ModelProto * mp)
{
  GnetModel *m = l->model;
  guint n = 0;

  g_strfreev (m->meta_keys);
  g_strfreev (m->meta_values);
  m->meta_keys = g_new0 (gchar *, mp->n_metadata_props + 1);
  m->meta_values = g_new0 (gchar *, mp->n_metadata_props + 1);
  for (gsize i = 0; i < mp->n_metadata_props; i++) {
    Onnx__StringStringEntryProto *e = mp->metadata_props[i];
    if (e->key == NULL)
      continue;
    m->meta_keys[n] = g_strdup (e->key);
    m->meta_values[n] = g_strdup (e->value ? e->value : "");
    n++;
  }
}

GnetModel *
gnet_model_load_bytes (const guint8 * bytes, gsize size, const gchar * name,
    GError ** error)
{
  Loader l = { 0 };
  Onnx__ModelProto *mp;

  g_return_val_if_fail (bytes != NULL || size == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  l.file = name ? name : "model";
  if (size == 0) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_PARSE,
        "%s: the file is empty", l.file);
    return NULL;
  }
  mp = onnx__model_proto__unpack (NULL, size, bytes);
  if (mp == NULL) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_PARSE,
        "%s: not an ONNX model (protobuf parsing failed: truncated or "
        "corrupt file)", l.file);
    return NULL;
  }
  if (mp->graph == NULL) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_PARSE,
        "%s: not an ONNX model (no graph)", l.file);
    onnx__model_proto__free_unpacked (mp, NULL);
    return NULL;
  }
  if (mp->graph->n_node > GNET_MAX_NODES) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
        "%s: the graph has %" G_GSIZE_FORMAT " nodes, gnet loads at most %d",
        l.file, mp->graph->n_node, GNET_MAX_NODES);
    onnx__model_proto__free_unpacked (mp, NULL);
    return NULL;
  }
  l.model = gnet__model_new (l.file);
  if (!load_opset (&l, mp, error)
      || !load_initializers (&l, mp->graph, error)
      || !load_inputs (&l, mp->graph, error)
      || !load_nodes (&l, mp->graph, error)
      || !sort_nodes (&l, error)
      || !bind_operators (&l, error)
      || !load_outputs (&l, mp->graph, error)) {
    onnx__model_proto__free_unpacked (mp, NULL);
    gnet_model_unref (l.model);
    return NULL;
  }
  gnet__model_reindex (l.model);
  load_metadata (&l, mp);
  onnx__model_proto__free_unpacked (mp, NULL);

  if (!gnet__model_optimize (l.model, error)) {
    g_prefix_error (error, "%s: ", l.file);
    gnet_model_unref (l.model);
    return NULL;
  }
  return l.model;
}

GnetModel *
gnet_model_load_file (const gchar * path, GError ** error)
{
  gchar *contents = NULL;
  gsize len = 0;
  GnetModel *model;
  GError *err = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  if (!g_file_get_contents (path, &contents, &len, &err)) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_IO,
        "cannot read model: %s", err->message);
    g_error_free (err);
    return NULL;
  }
  model = gnet_model_load_bytes ((const guint8 *) contents, len, path, error);
  g_free (contents);
  return model;
}
