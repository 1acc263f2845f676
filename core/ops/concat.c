/* concat.c - Concat along any axis, any dtype.  When the plan has already
 * made an input write into its slice of the output (axis 1), that input is
 * skipped.
 */
#include "ops.h"

#include <string.h>

typedef struct
{
  gint64 axis;
} ConcatParams;

static gboolean
concat_init (const GnetNode * node, gpointer params, GError ** error)
{
  ConcatParams *p = params;

  if (gnet__node_attr (node, "axis") == NULL) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_ATTRIBUTE,
        "axis is required");
    return FALSE;
  }
  return gnet__attr_int (node, "axis", 0, &p->axis, error);
}

static gboolean
concat_infer (const GnetNode * node, const GnetView * in, GnetView * out,
    GnetOpCost * cost, GError ** error)
{
  const ConcatParams *p = node->params;
  const GnetView *first = &in[0];
  gint64 axis, total = 0;
  guint bad;

  if (first->ndim == 0) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
        "cannot concatenate scalars");
    return FALSE;
  }
  if (!gnet__normalize_axis (p->axis, first->ndim, FALSE, &axis, error))
    return FALSE;
  for (bad = 0; bad < node->n_inputs; bad++) {
    const GnetView *v = &in[bad];

    if (v->dtype != first->dtype || v->ndim != first->ndim)
      goto mismatch;
    for (guint d = 0; d < v->ndim; d++)
      if ((gint64) d != axis && v->dims[d] != first->dims[d])
        goto mismatch;
    total += v->dims[axis];
  }
  gnet__out_like (&out[0], first);
  out[0].dims[axis] = total;
  cost->macs = 0;
  cost->scratch_bytes = 0;
  return TRUE;

  /* ERRORS */
mismatch:
  {
    gchar *a = gnet_dims_to_string (first->dims, first->ndim);
    gchar *b = gnet_dims_to_string (in[bad].dims, in[bad].ndim);

    g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
        "input %u (%s %s) does not match input 0 (%s %s) outside axis %"
        G_GINT64_FORMAT, bad, gnet_dtype_name (in[bad].dtype), b,
        gnet_dtype_name (first->dtype), a, axis);
    g_free (a);
    g_free (b);
    return FALSE;
  }
}

static void
concat_forward (const GnetNode * node, const GnetView * in, GnetView * out,
    gpointer scratch)
{
  const ConcatParams *p = node->params;
  const gsize esize = gnet_dtype_size (out[0].dtype);
  guint8 *y = out[0].data;
  gint64 axis = p->axis < 0 ? p->axis + out[0].ndim : p->axis;
  gint64 nb, item, bstride, outer = 1, inner = 1, offset = 0;

  gnet__out_items (&out[0], &nb, &item, &bstride);
  for (gint64 d = 0; d < axis; d++)
    outer *= out[0].dims[d];
  for (guint d = axis + 1; d < out[0].ndim; d++)
    inner *= out[0].dims[d];

  for (guint i = 0; i < node->n_inputs; i++) {
    const guint8 *x = in[i].data;
    gint64 chunk = in[i].dims[axis] * inner;    /* elements per outer row */

    if (axis == 0) {
      /* Whole batch items, each to its (possibly strided) place. */
      for (gint64 b = 0; b < in[i].dims[0]; b++)
        memcpy (y + (gsize) ((offset / inner + b) * bstride) * esize,
            x + (gsize) (b * inner) * esize, (gsize) inner * esize);
    } else if (x != y + (gsize) offset * esize) {
      gint64 rows_per_item = outer / MAX (out[0].dims[0], 1);

      for (gint64 o = 0; o < outer; o++) {
        gint64 dst = (o / rows_per_item) * bstride
            + (o % rows_per_item) * out[0].dims[axis] * inner + offset;

        memcpy (y + (gsize) dst * esize, x + (gsize) (o * chunk) * esize,
            (gsize) chunk * esize);
      }
    }
    offset += chunk;
  }
}

const GnetOp gnet__op_concat = {
  .type = "Concat",
  .min_opset = 4,
  .params_size = sizeof (ConcatParams),
  .min_inputs = 1,.max_inputs = G_MAXUINT,
  .min_outputs = 1,.max_outputs = 1,
  .flags = GNET_OP_STRIDED_OUTPUT,
  .init = concat_init,
  .infer = concat_infer,
  .forward = concat_forward,
};
