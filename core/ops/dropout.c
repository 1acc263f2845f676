/* dropout.c - Dropout at inference: the output is a view of the input and
 * the optional mask is all true.  Training mode is not supported.
 */
#include "ops.h"

#include <string.h>

typedef struct
{
  gfloat ratio;
} DropoutParams;

static gboolean
dropout_init (const GnetNode * node, gpointer params, GError ** error)
{
  DropoutParams *p = params;

  /* Opsets 7 to 11 carry the ratio as an attribute; it does not matter at
   * inference but a wrong type is still an error. */
  return gnet__attr_float (node, "ratio", 0.5f, &p->ratio, error);
}

static gboolean
has_input (const GnetNode * node, guint i)
{
  return node->n_inputs > i && node->inputs[i] >= 0;
}

static gboolean
dropout_infer (const GnetNode * node, const GnetView * in, GnetView * out,
    GnetOpCost * cost, GError ** error)
{
  if (has_input (node, 2)) {
    const GnetView *t = &in[2];

    if (!t->is_const || t->data == NULL || t->dtype != GNET_DTYPE_BOOL
        || gnet__view_numel (t) != 1 || *(const guint8 *) t->data) {
      g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
          "training_mode must be a constant false, training is not "
          "supported");
      return FALSE;
    }
  }
  gnet__out_like (&out[0], &in[0]);
  if (node->n_outputs > 1 && node->outputs[1] >= 0) {
    gnet__out_like (&out[1], &in[0]);
    /* Opsets before 10 type the mask like the data. */
    out[1].dtype = node->opset >= 10 ? GNET_DTYPE_BOOL : in[0].dtype;
  }
  cost->macs = 0;
  cost->scratch_bytes = 0;
  return TRUE;
}

static void
dropout_forward (const GnetNode * node, const GnetView * in, GnetView * out,
    gpointer scratch)
{
  gnet__copy_view (&in[0], &out[0]);
  if (node->n_outputs > 1 && node->outputs[1] >= 0) {
    gint64 n = gnet__view_numel (&out[1]);

    if (out[1].dtype == GNET_DTYPE_BOOL)
      memset (out[1].data, 1, (gsize) n);
    else
      for (gint64 i = 0; i < n; i++)
        ((gfloat *) out[1].data)[i] = 1.0f;
  }
}

const GnetOp gnet__op_dropout = {
  .type = "Dropout",
  .min_opset = 7,
  .params_size = sizeof (DropoutParams),
  .min_inputs = 1,.max_inputs = 3,
  .min_outputs = 1,.max_outputs = 2,
  .flags = GNET_OP_VIEW,
  .init = dropout_init,
  .infer = dropout_infer,
  .forward = dropout_forward,
};
