/* constant.c - Constant.  The loader turns Constant nodes into constant
 * values, so this operator runs only for the scalar and list forms
 * (value_float(s), value_int(s)), which it can build from the node alone;
 * a `value` tensor is only reachable through the model and must be folded.
 */
#include "ops.h"

#include <string.h>

static const gchar *const forms[] = {
  "value_float", "value_floats", "value_int", "value_ints"
};

typedef struct
{
  gint form;                    /* index in forms[], -1 for anything else */
} ConstantParams;

static gboolean
constant_init (const GnetNode * node, gpointer params, GError ** error)
{
  ConstantParams *p = params;

  p->form = -1;
  for (guint i = 0; i < G_N_ELEMENTS (forms); i++)
    if (gnet__node_attr (node, forms[i]))
      p->form = i;
  if (p->form == 1 || p->form == 3) {
    const gfloat *f;
    const gint64 *v;
    guint n;

    /* Checks the attribute's type. */
    return p->form == 1 ? gnet__attr_floats (node, forms[1], &f, &n, error)
        : gnet__attr_ints (node, forms[3], &v, &n, error);
  }
  if (p->form == 0) {
    gfloat f;

    return gnet__attr_float (node, forms[0], 0.0f, &f, error);
  }
  if (p->form == 2) {
    gint64 v;

    return gnet__attr_int (node, forms[2], 0, &v, error);
  }
  return TRUE;
}

static gboolean
constant_infer (const GnetNode * node, const GnetView * in, GnetView * out,
    GnetOpCost * cost, GError ** error)
{
  const ConstantParams *p = node->params;
  const GnetAttr *a;

  if (p->form < 0) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
        "Constant without value_float(s) or value_int(s) must be folded at "
        "load time");
    return FALSE;
  }
  a = gnet__node_attr (node, forms[p->form]);
  out[0].dtype = p->form < 2 ? GNET_DTYPE_FLOAT32 : GNET_DTYPE_INT64;
  out[0].ndim = p->form % 2;
  out[0].dims[0] = a->n;
  cost->macs = 0;
  cost->scratch_bytes = 0;
  return TRUE;
}

static void
constant_forward (const GnetNode * node, const GnetView * in, GnetView * out,
    gpointer scratch)
{
  const ConstantParams *p = node->params;
  const GnetAttr *a = gnet__node_attr (node, forms[p->form]);

  switch (p->form) {
    case 0:
      *(gfloat *) out[0].data = a->f;
      break;
    case 1:
      memcpy (out[0].data, a->floats, a->n * sizeof (gfloat));
      break;
    case 2:
      *(gint64 *) out[0].data = a->i;
      break;
    default:
      memcpy (out[0].data, a->ints, a->n * sizeof (gint64));
      break;
  }
}

const GnetOp gnet__op_constant = {
  .type = "Constant",
  .min_opset = 1,
  .params_size = sizeof (ConstantParams),
  .min_inputs = 0,.max_inputs = 0,
  .min_outputs = 1,.max_outputs = 1,
  .init = constant_init,
  .infer = constant_infer,
  .forward = constant_forward,
};
