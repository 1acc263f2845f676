/* add.c - Add with numpy (multidirectional) broadcasting, float32.  Axes
 * that broadcast the same way are merged first, so a per-channel bias or a
 * same-shape sum runs as long contiguous rows.  Honours a strided output
 * and a fused Relu.
 */
#include "ops.h"

/* Output item (all axes, or all but the first) as merged rows: axes [0, n - 1)
 * are iterated, axis n - 1 is the contiguous row. */
typedef struct
{
  guint n;
  gint64 extent[GNET_MAX_DIMS];
  gint64 sa[GNET_MAX_DIMS], sb[GNET_MAX_DIMS];  /* 0 = broadcast */
  gint64 sa0, sb0;              /* strides along the first (batch) axis */
} AddLayout;

static void
input_strides (const GnetView * v, const GnetView * out, gint64 * st)
{
  gint64 s = 1;

  for (gint i = (gint) out->ndim - 1; i >= 0; i--) {
    gint j = i - ((gint) out->ndim - (gint) v->ndim);
    gint64 d = j >= 0 ? v->dims[j] : 1;

    st[i] = d == 1 ? 0 : s;
    s *= d;
  }
}

/* `first` is the first axis to merge: 1 when the batch axis has to stay
 * separate for a strided output, else 0. */
static void
add_layout (const GnetView * a, const GnetView * b, const GnetView * out,
    guint first, AddLayout * l)
{
  gint64 sa[GNET_MAX_DIMS], sb[GNET_MAX_DIMS];

  input_strides (a, out, sa);
  input_strides (b, out, sb);
  l->sa0 = out->ndim > 0 ? sa[0] : 0;
  l->sb0 = out->ndim > 0 ? sb[0] : 0;
  l->n = 0;
  for (guint i = first; i < out->ndim; i++) {
    guint k = l->n;

    if (out->dims[i] == 1)
      continue;
    /* Merge into the previous axis when both inputs step through the two
     * as through one. */
    if (k > 0 && l->sa[k - 1] == sa[i] * out->dims[i]
        && l->sb[k - 1] == sb[i] * out->dims[i]) {
      l->extent[k - 1] *= out->dims[i];
      l->sa[k - 1] = sa[i];
      l->sb[k - 1] = sb[i];
      continue;
    }
    l->extent[k] = out->dims[i];
    l->sa[k] = sa[i];
    l->sb[k] = sb[i];
    l->n++;
  }
  if (l->n == 0) {
    l->extent[0] = 1;
    l->sa[0] = l->sb[0] = 0;
    l->n = 1;
  }
}

static gboolean
add_infer (const GnetNode * node, const GnetView * in, GnetView * out,
    GnetOpCost * cost, GError ** error)
{
  if (!gnet__check_float (&in[0], "A", error)
      || !gnet__check_float (&in[1], "B", error)
      || !gnet__broadcast_dims (&in[0], &in[1], out[0].dims, &out[0].ndim,
          error))
    return FALSE;
  out[0].dtype = GNET_DTYPE_FLOAT32;
  cost->macs = 0;
  cost->scratch_bytes = 0;
  return TRUE;
}

static inline void
add_row (gfloat * y, const gfloat * a, gint64 sa, const gfloat * b,
    gint64 sb, gint64 n, gboolean relu)
{
  /* Separate loops for each stride pattern so each one vectorises. */
  if (sa && sb)
    for (gint64 i = 0; i < n; i++)
      y[i] = a[i] + b[i];
  else if (sa)
    for (gint64 i = 0; i < n; i++)
      y[i] = a[i] + b[0];
  else if (sb)
    for (gint64 i = 0; i < n; i++)
      y[i] = a[0] + b[i];
  else
    for (gint64 i = 0; i < n; i++)
      y[i] = a[0] + b[0];
  if (relu)
    gnet__relu_inplace (y, n);
}

static void
add_forward (const GnetNode * node, const GnetView * in, GnetView * out,
    gpointer scratch)
{
  const gfloat *a = in[0].data, *b = in[1].data;
  gint64 nb, item, bstride;
  AddLayout l;

  gnet__out_items (&out[0], &nb, &item, &bstride);
  if (gnet__view_numel (&out[0]) == 0)
    return;
  if (bstride == item) {
    /* Dense: the batch axis merges like any other. */
    item *= nb;
    nb = 1;
    add_layout (&in[0], &in[1], &out[0], 0, &l);
  } else
    add_layout (&in[0], &in[1], &out[0], 1, &l);

  for (gint64 t = 0; t < nb; t++) {
    gfloat *y = (gfloat *) out[0].data + t * bstride;
    const gfloat *at = a + t * l.sa0, *bt = b + t * l.sb0;
    gint64 idx[GNET_MAX_DIMS] = { 0 };
    gint64 row = l.extent[l.n - 1];
    gint64 rsa = l.sa[l.n - 1], rsb = l.sb[l.n - 1];

    for (gint64 done = 0; done < item; done += row) {
      gint64 ao = 0, bo = 0;

      for (guint i = 0; i + 1 < l.n; i++) {
        ao += idx[i] * l.sa[i];
        bo += idx[i] * l.sb[i];
      }
      add_row (y + done, at + ao, rsa, bt + bo, rsb, row, node->fuse_relu);
      for (gint i = (gint) l.n - 2; i >= 0; i--) {
        if (++idx[i] < l.extent[i])
          break;
        idx[i] = 0;
      }
    }
  }
}

const GnetOp gnet__op_add = {
  .type = "Add",
  .min_opset = 7,
  .min_inputs = 2,.max_inputs = 2,
  .min_outputs = 1,.max_outputs = 1,
  .flags = GNET_OP_STRIDED_OUTPUT,
  .infer = add_infer,
  .forward = add_forward,
};
