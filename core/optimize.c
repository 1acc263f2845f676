/* optimize.c - load-time graph rewrites.
 *
 * Run once per model, so every session benefits and no session pays:
 *  - BatchNormalization after a Conv with constant weights is folded into
 *    the Conv's weights and bias (torchvision exports keep BN nodes);
 *  - Relu after a Conv is fused: the Conv applies it in the same pass as its
 *    bias, saving one full read and write of the feature map.
 * A rewrite only happens when the intermediate tensor has no other consumer
 * and is not a graph output, so results are unchanged.
 */
#include "gnet-private.h"

#include <math.h>

static GnetValue *
const_float (GnetModel * m, GnetNode * n, guint k)
{
  GnetValue *v;

  if (k >= n->n_inputs || n->inputs[k] < 0)
    return NULL;
  v = gnet__model_value (m, n->inputs[k]);
  return v->is_const && v->dtype == GNET_DTYPE_FLOAT32 ? v : NULL;
}

static gint64
value_numel (const GnetValue * v)
{
  gint64 n = 1;

  for (guint i = 0; i < v->ndim; i++)
    n *= v->dims[i];
  return n;
}

/* The Conv producing `value` if it may absorb what follows it. */
static GnetNode *
sole_conv_producer (GnetModel * m, gint value)
{
  GnetValue *v = gnet__model_value (m, value);
  GnetNode *c;

  if (v->producer < 0 || v->n_consumers != 1)
    return NULL;
  c = gnet__model_node (m, v->producer);
  if (c->removed || !g_str_equal (c->op_type, "Conv") || c->fuse_relu)
    return NULL;
  return c;
}

static gboolean
fold_batchnorm (GnetModel * m, GnetNode * bn)
{
  GnetNode *c;
  GnetValue *w, *b, *scale, *shift, *mean, *var;
  gint64 cout, per_out;
  gfloat eps;
  gint64 training;
  GnetTensor nw = { 0 }, nb = { 0 };
  gfloat *wd, *bd;
  gchar *name;

  if (bn->n_inputs != 5 || (bn->n_outputs > 1 && bn->outputs[1] >= 0))
    return FALSE;
  c = sole_conv_producer (m, bn->inputs[0]);
  if (c == NULL)
    return FALSE;
  w = const_float (m, c, 1);
  b = const_float (m, c, 2);
  scale = const_float (m, bn, 1);
  shift = const_float (m, bn, 2);
  mean = const_float (m, bn, 3);
  var = const_float (m, bn, 4);
  if (!w || w->ndim < 3 || !scale || !shift || !mean || !var
      || (c->n_inputs > 2 && c->inputs[2] >= 0 && !b))
    return FALSE;
  cout = w->dims[0];
  if (value_numel (scale) != cout || value_numel (shift) != cout
      || value_numel (mean) != cout || value_numel (var) != cout
      || (b && value_numel (b) != cout) || cout <= 0)
    return FALSE;
  if (!gnet__attr_float (bn, "epsilon", 1e-5f, &eps, NULL)
      || !gnet__attr_int (bn, "training_mode", 0, &training, NULL)
      || training != 0)
    return FALSE;

  per_out = value_numel (w) / cout;
  nw.dtype = nb.dtype = GNET_DTYPE_FLOAT32;
  nw.ndim = w->ndim;
  memcpy (nw.dims, w->dims, sizeof (nw.dims));
  nb.ndim = 1;
  nb.dims[0] = cout;
  wd = nw.data = g_new (gfloat, value_numel (w));
  bd = nb.data = g_new (gfloat, cout);
  for (gint64 o = 0; o < cout; o++) {
    const gfloat *sc = scale->data, *sh = shift->data, *mu = mean->data,
        *vr = var->data, *src = w->data;
    gdouble s = sc[o] / sqrt ((gdouble) vr[o] + eps);
    gdouble bias = b ? ((const gfloat *) b->data)[o] : 0.0;

    for (gint64 i = 0; i < per_out; i++)
      wd[o * per_out + i] = (gfloat) (src[o * per_out + i] * s);
    bd[o] = (gfloat) ((bias - mu[o]) * s + sh[o]);
  }

  name = g_strdup_printf ("\x01" "folded/%s/W", bn->name);
  c->inputs[1] = gnet__model_add_const (m, name, &nw);
  g_free (name);
  if (c->n_inputs < 3) {
    c->inputs = g_renew (gint, c->inputs, 3);
    c->n_inputs = 3;
  }
  name = g_strdup_printf ("\x01" "folded/%s/B", bn->name);
  c->inputs[2] = gnet__model_add_const (m, name, &nb);
  g_free (name);
  c->outputs[0] = bn->outputs[0];
  bn->removed = TRUE;
  return TRUE;
}

static gboolean
fuse_relu (GnetModel * m, GnetNode * relu)
{
  GnetNode *c = sole_conv_producer (m, relu->inputs[0]);

  if (c == NULL)
    return FALSE;
  c->fuse_relu = TRUE;
  c->outputs[0] = relu->outputs[0];
  relu->removed = TRUE;
  return TRUE;
}

gboolean
gnet__model_optimize (GnetModel * model, GError ** error)
{
  gboolean changed = FALSE;

  for (guint i = 0; i < model->nodes->len; i++) {
    GnetNode *n = gnet__model_node (model, i);
    if (g_str_equal (n->op_type, "BatchNormalization"))
      changed |= fold_batchnorm (model, n);
  }
  if (changed)
    gnet__model_reindex (model);

  changed = FALSE;
  for (guint i = 0; i < model->nodes->len; i++) {
    GnetNode *n = gnet__model_node (model, i);
    if (g_str_equal (n->op_type, "Relu"))
      changed |= fuse_relu (model, n);
  }
  if (changed)
    gnet__model_reindex (model);
  return TRUE;
}
