/* common.c - checks and loops several operators share. */
#include "ops.h"

#include <cblas.h>
#include <string.h>

/* Set by gnet_session_run() for the run going on in this thread, so that
 * sessions with different thread counts in different threads each split
 * their own work their own way. */
__thread gint gnet__run_threads;

guint
gnet__op_threads (void)
{
  /* Operators called outside a session (the operator tests) follow
   * OpenBLAS's setting. */
  if (gnet__run_threads > 0)
    return (guint) gnet__run_threads;
  return (guint) MAX (1, openblas_get_num_threads ());
}

gboolean
gnet__check_float (const GnetView * v, const gchar * what, GError ** error)
{
  if (v->dtype == GNET_DTYPE_FLOAT32)
    return TRUE;
  g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
      "%s is %s, only float32 is supported", what,
      gnet_dtype_name (v->dtype));
  return FALSE;
}

void
gnet__copy_view (const GnetView * in, GnetView * out)
{
  gsize esize = gnet_dtype_size (in->dtype);
  gint64 n, item, stride;

  if (in->data == out->data)
    return;
  gnet__out_items (out, &n, &item, &stride);
  /* An empty tensor may have no data at all, and memcpy () wants a
   * pointer even for no bytes. */
  if (n * item == 0)
    return;
  if (stride == item) {
    memcpy (out->data, in->data, (gsize) (n * item) * esize);
    return;
  }
  for (gint64 b = 0; b < n; b++)
    memcpy ((guint8 *) out->data + (gsize) (b * stride) * esize,
        (const guint8 *) in->data + (gsize) (b * item) * esize,
        (gsize) item * esize);
}

gboolean
gnet__normalize_axis (gint64 axis, guint rank, gboolean inclusive,
    gint64 * out, GError ** error)
{
  gint64 hi = inclusive ? rank : (gint64) rank - 1;

  if (axis < -(gint64) rank || axis > hi) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_ATTRIBUTE,
        "axis %" G_GINT64_FORMAT " is out of range for rank %u", axis, rank);
    return FALSE;
  }
  *out = axis < 0 ? axis + rank : axis;
  return TRUE;
}

gboolean
gnet__broadcast_dims (const GnetView * a, const GnetView * b, gint64 * out,
    guint * out_ndim, GError ** error)
{
  guint r = MAX (a->ndim, b->ndim);

  for (guint i = 0; i < r; i++) {
    /* Align from the right; missing leading dims count as 1. */
    gint64 da = i + a->ndim >= r ? a->dims[i + a->ndim - r] : 1;
    gint64 db = i + b->ndim >= r ? b->dims[i + b->ndim - r] : 1;

    if (da != db && da != 1 && db != 1) {
      gchar *sa = gnet_dims_to_string (a->dims, a->ndim);
      gchar *sb = gnet_dims_to_string (b->dims, b->ndim);

      g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
          "shapes %s and %s do not broadcast", sa, sb);
      g_free (sa);
      g_free (sb);
      return FALSE;
    }
    out[i] = da == 1 ? db : da;
  }
  *out_ndim = r;
  return TRUE;
}

gboolean
gnet__infer_unary_float (const GnetNode * node, const GnetView * in,
    GnetView * out, GnetOpCost * cost, GError ** error)
{
  if (!gnet__check_float (&in[0], "X", error))
    return FALSE;
  gnet__out_like (&out[0], &in[0]);
  cost->macs = 0;
  cost->scratch_bytes = 0;
  return TRUE;
}
