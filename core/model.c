/* model.c - the loaded graph: reference counting, queries, attributes.
 *
 * Parsing lives in onnx.c, load-time rewrites in optimize.c.  Once loaded a
 * model is never written to again, which is what lets sessions in several
 * threads share one copy of the weights.
 */
#include "gnet-private.h"

static void
value_free (gpointer data)
{
  GnetValue *v = data;

  g_free (v->name);
  g_free (v->data);
  g_free (v);
}

static void
node_free (gpointer data)
{
  GnetNode *n = data;

  for (guint i = 0; i < n->n_attrs; i++) {
    g_free (n->attrs[i].name);
    g_free (n->attrs[i].s);
    g_free (n->attrs[i].floats);
    g_free (n->attrs[i].ints);
  }
  g_free (n->attrs);
  g_free (n->inputs);
  g_free (n->outputs);
  g_free (n->params);
  g_free (n->name);
  g_free (n->op_type);
  g_free (n);
}

GnetModel *
gnet__model_new (const gchar * name)
{
  GnetModel *m = g_new0 (GnetModel, 1);

  m->ref_count = 1;
  m->name = g_strdup (name ? name : "model");
  m->values = g_ptr_array_new_with_free_func (value_free);
  m->value_index = g_hash_table_new (g_str_hash, g_str_equal);
  m->nodes = g_ptr_array_new_with_free_func (node_free);
  m->inputs = g_array_new (FALSE, FALSE, sizeof (gint));
  m->outputs = g_array_new (FALSE, FALSE, sizeof (gint));
  m->meta_keys = g_new0 (gchar *, 1);
  m->meta_values = g_new0 (gchar *, 1);
  return m;
}

GnetModel *
gnet_model_ref (GnetModel * model)
{
  g_return_val_if_fail (model != NULL, NULL);
  g_atomic_int_inc (&model->ref_count);
  return model;
}

void
gnet_model_unref (GnetModel * model)
{
  if (model == NULL || !g_atomic_int_dec_and_test (&model->ref_count))
    return;
  g_hash_table_unref (model->value_index);
  g_ptr_array_unref (model->nodes);
  g_ptr_array_unref (model->values);
  g_array_unref (model->inputs);
  g_array_unref (model->outputs);
  g_strfreev (model->meta_keys);
  g_strfreev (model->meta_values);
  g_free (model->name);
  g_free (model);
}

gint
gnet__model_find_value (const GnetModel * model, const gchar * name)
{
  gpointer p = g_hash_table_lookup (model->value_index, name);

  return p ? GPOINTER_TO_INT (p) - 1 : -1;
}

const gchar *
gnet_model_get_name (const GnetModel * model)
{
  g_return_val_if_fail (model != NULL, NULL);
  return model->name;
}

guint
gnet_model_get_n_inputs (const GnetModel * model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->inputs->len;
}

guint
gnet_model_get_n_outputs (const GnetModel * model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->outputs->len;
}

static gboolean
describe_value (const GnetModel * model, GArray * list, guint index,
    const gchar ** name, GnetTensor * info)
{
  const GnetValue *v;

  if (index >= list->len)
    return FALSE;
  v = gnet__model_value (model, g_array_index (list, gint, index));
  if (name)
    *name = v->name;
  if (info) {
    memset (info, 0, sizeof (*info));
    info->dtype = v->dtype;
    info->ndim = v->ndim;
    memcpy (info->dims, v->dims, sizeof (v->dims));
  }
  return TRUE;
}

gboolean
gnet_model_get_input (const GnetModel * model, guint index,
    const gchar ** name, GnetTensor * info)
{
  g_return_val_if_fail (model != NULL, FALSE);
  return describe_value (model, model->inputs, index, name, info);
}

gboolean
gnet_model_get_output (const GnetModel * model, guint index,
    const gchar ** name, GnetTensor * info)
{
  g_return_val_if_fail (model != NULL, FALSE);
  return describe_value (model, model->outputs, index, name, info);
}

guint
gnet_model_get_n_nodes (const GnetModel * model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->nodes->len;
}

const gchar *
gnet_model_get_node_op (const GnetModel * model, guint index)
{
  g_return_val_if_fail (model != NULL, NULL);
  if (index >= model->nodes->len)
    return NULL;
  return gnet__model_node (model, index)->op_type;
}

const gchar *
gnet_model_get_node_name (const GnetModel * model, guint index)
{
  g_return_val_if_fail (model != NULL, NULL);
  if (index >= model->nodes->len)
    return NULL;
  return gnet__model_node (model, index)->name;
}

guint64
gnet_model_get_n_params (const GnetModel * model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->n_params;
}

gint64
gnet_model_get_opset (const GnetModel * model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->opset;
}

const gchar *
gnet_model_get_metadata (const GnetModel * model, const gchar * key)
{
  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);
  for (guint i = 0; model->meta_keys[i]; i++)
    if (g_str_equal (model->meta_keys[i], key))
      return model->meta_values[i];
  return NULL;
}

const gchar *const *
gnet_model_get_metadata_keys (const GnetModel * model)
{
  g_return_val_if_fail (model != NULL, NULL);
  return (const gchar * const *) model->meta_keys;
}

/* ------------------------------------------------------------------------ */
/* Attributes                                                               */
/* ------------------------------------------------------------------------ */

static const gchar *const attr_type_names[GNET_ATTR_COUNT] = {
  "float", "int", "string", "floats", "ints", "tensor", "other"
};

const GnetAttr *
gnet__node_attr (const GnetNode * node, const gchar * name)
{
  for (guint i = 0; i < node->n_attrs; i++)
    if (g_str_equal (node->attrs[i].name, name))
      return &node->attrs[i];
  return NULL;
}

static const GnetAttr *
attr_typed (const GnetNode * node, const gchar * name, GnetAttrType type,
    GError ** error)
{
  const GnetAttr *a = gnet__node_attr (node, name);

  if (a == NULL || a->type == type)
    return a;
  g_set_error (error, GNET_ERROR, GNET_ERROR_ATTRIBUTE,
      "attribute '%s' must be of type %s, not %s", name,
      attr_type_names[type], attr_type_names[a->type]);
  return GINT_TO_POINTER (-1);
}

#define ATTR_BAD(a) ((a) == GINT_TO_POINTER (-1))

gboolean
gnet__attr_int (const GnetNode * node, const gchar * name, gint64 def,
    gint64 * out, GError ** error)
{
  const GnetAttr *a = attr_typed (node, name, GNET_ATTR_INT, error);

  if (ATTR_BAD (a))
    return FALSE;
  *out = a ? a->i : def;
  return TRUE;
}

gboolean
gnet__attr_float (const GnetNode * node, const gchar * name, gfloat def,
    gfloat * out, GError ** error)
{
  const GnetAttr *a = attr_typed (node, name, GNET_ATTR_FLOAT, error);

  if (ATTR_BAD (a))
    return FALSE;
  *out = a ? a->f : def;
  return TRUE;
}

gboolean
gnet__attr_string (const GnetNode * node, const gchar * name,
    const gchar * def, const gchar ** out, GError ** error)
{
  const GnetAttr *a = attr_typed (node, name, GNET_ATTR_STRING, error);

  if (ATTR_BAD (a))
    return FALSE;
  *out = a ? a->s : def;
  return TRUE;
}

gboolean
gnet__attr_ints (const GnetNode * node, const gchar * name,
    const gint64 ** out, guint * n, GError ** error)
{
  const GnetAttr *a = attr_typed (node, name, GNET_ATTR_INTS, error);

  if (ATTR_BAD (a))
    return FALSE;
  *out = a ? a->ints : NULL;
  *n = a ? a->n : 0;
  return TRUE;
}

gboolean
gnet__attr_floats (const GnetNode * node, const gchar * name,
    const gfloat ** out, guint * n, GError ** error)
{
  const GnetAttr *a = attr_typed (node, name, GNET_ATTR_FLOATS, error);

  if (ATTR_BAD (a))
    return FALSE;
  *out = a ? a->floats : NULL;
  *n = a ? a->n : 0;
  return TRUE;
}

/* Drops removed nodes, recounts producers and consumers, and counts the
 * parameters the remaining nodes use. */
void
gnet__model_reindex (GnetModel * m)
{
  for (guint i = m->nodes->len; i-- > 0;)
    if (gnet__model_node (m, i)->removed)
      g_ptr_array_remove_index (m->nodes, i);

  for (guint v = 0; v < m->values->len; v++) {
    gnet__model_value (m, v)->producer = -1;
    gnet__model_value (m, v)->n_consumers = 0;
  }
  m->n_params = 0;
  for (guint i = 0; i < m->nodes->len; i++) {
    GnetNode *n = gnet__model_node (m, i);
    for (guint k = 0; k < n->n_outputs; k++)
      if (n->outputs[k] >= 0)
        gnet__model_value (m, n->outputs[k])->producer = i;
    for (guint k = 0; k < n->n_inputs; k++) {
      GnetValue *v;
      if (n->inputs[k] < 0)
        continue;
      v = gnet__model_value (m, n->inputs[k]);
      if (v->is_const && v->n_consumers == 0
          && v->dtype == GNET_DTYPE_FLOAT32) {
        gint64 numel = 1;
        for (guint d = 0; d < v->ndim; d++)
          numel *= v->dims[d];
        m->n_params += numel;
      }
      v->n_consumers++;
    }
  }
  for (guint i = 0; i < m->outputs->len; i++)
    gnet__model_value (m, g_array_index (m->outputs, gint, i))->n_consumers++;
}

/* Adds a constant (taking t->data) under a name no ONNX tensor can have
 * clashing with; returns its value index. */
gint
gnet__model_add_const (GnetModel * m, const gchar * name, GnetTensor * t)
{
  GnetValue *v = g_new0 (GnetValue, 1);
  gchar *unique = g_strdup_printf ("%s#%u", name, m->values->len);

  v->name = unique;
  v->producer = -1;
  v->input_index = -1;
  v->is_const = TRUE;
  v->dtype = t->dtype;
  v->ndim = t->ndim;
  memcpy (v->dims, t->dims, sizeof (v->dims));
  v->data = t->data;
  t->data = NULL;
  g_ptr_array_add (m->values, v);
  g_hash_table_insert (m->value_index, v->name,
      GINT_TO_POINTER (m->values->len));
  return m->values->len - 1;
}
