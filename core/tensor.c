/* tensor.c - small helpers on the plain GnetTensor struct. */
#include "gnet-private.h"

gsize
gnet_dtype_size (GnetDType dtype)
{
  switch (dtype) {
    case GNET_DTYPE_FLOAT32:
      return 4;
    case GNET_DTYPE_INT64:
      return 8;
    case GNET_DTYPE_BOOL:
      return 1;
    default:
      return 0;
  }
}

const gchar *
gnet_dtype_name (GnetDType dtype)
{
  switch (dtype) {
    case GNET_DTYPE_FLOAT32:
      return "float32";
    case GNET_DTYPE_INT64:
      return "int64";
    case GNET_DTYPE_BOOL:
      return "bool";
    default:
      return "unknown";
  }
}

gint64
gnet_tensor_numel (const GnetTensor * tensor)
{
  gint64 n = 1;

  g_return_val_if_fail (tensor != NULL, 0);
  for (guint i = 0; i < tensor->ndim; i++)
    n *= tensor->dims[i];
  return n;
}

gchar *
gnet_dims_to_string (const gint64 * dims, guint ndim)
{
  GString *s = g_string_new (NULL);

  if (ndim == 0)
    g_string_append (s, "scalar");
  for (guint i = 0; i < ndim; i++) {
    if (i > 0)
      g_string_append_c (s, 'x');
    if (dims[i] < 0)
      g_string_append_c (s, '?');
    else
      g_string_append_printf (s, "%" G_GINT64_FORMAT, dims[i]);
  }
  return g_string_free (s, FALSE);
}

void
gnet_tensor_clear (GnetTensor * tensor)
{
  if (tensor == NULL)
    return;
  g_free (tensor->data);
  memset (tensor, 0, sizeof (*tensor));
}
