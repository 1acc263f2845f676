/* tensorio.c - tensors from and to files: NumPy .npy and ONNX TensorProto.
 *
 * Both readers work on bytes already in memory and trust nothing in them:
 * every size a header declares is checked against the bytes actually present
 * before anything is allocated, so a small hostile file cannot ask for a
 * huge buffer.
 */
#include "gnet-private.h"
#include "onnx.pb-c.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
/* numpy pads the whole preamble to a multiple of this (since numpy 1.14;
 * older files used 16, which readers must still accept). */
#define NPY_ALIGN 64

/* ------------------------------------------------------------------------ */
/* .npy header: a Python dict literal                                       */
/* ------------------------------------------------------------------------ */

typedef struct
{
  const gchar *p;
  const gchar *end;
} Cursor;

static void
cursor_skip_ws (Cursor * c)
{
  while (c->p < c->end && g_ascii_isspace (*c->p))
    c->p++;
}

static gboolean
cursor_eat (Cursor * c, gchar ch)
{
  cursor_skip_ws (c);
  if (c->p < c->end && *c->p == ch) {
    c->p++;
    return TRUE;
  }
  return FALSE;
}

/* A quoted Python string without escapes (numpy never writes any). */
static gboolean
cursor_string (Cursor * c, gchar * buf, gsize buf_size)
{
  gchar quote;
  gsize n = 0;

  cursor_skip_ws (c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
    return FALSE;
  quote = *c->p++;
  while (c->p < c->end && *c->p != quote) {
    if (*c->p == '\\' || n + 1 >= buf_size)
      return FALSE;
    buf[n++] = *c->p++;
  }
  if (c->p >= c->end)
    return FALSE;
  c->p++;
  buf[n] = '\0';
  return TRUE;
}

static gboolean
cursor_word (Cursor * c, const gchar * word)
{
  gsize len = strlen (word);

  cursor_skip_ws (c);
  if ((gsize) (c->end - c->p) < len || strncmp (c->p, word, len) != 0)
    return FALSE;
  c->p += len;
  return TRUE;
}

/* A non-negative decimal integer; Python 2 era files may append 'L'. */
static gboolean
cursor_dim (Cursor * c, gint64 * out)
{
  gint64 v = 0;
  gboolean any = FALSE;

  cursor_skip_ws (c);
  while (c->p < c->end && g_ascii_isdigit (*c->p)) {
    gint d = *c->p - '0';
    if (v > (G_MAXINT64 - d) / 10)
      return FALSE;
    v = v * 10 + d;
    any = TRUE;
    c->p++;
  }
  if (c->p < c->end && *c->p == 'L')
    c->p++;
  *out = v;
  return any;
}

typedef struct
{
  gchar descr[16];
  gboolean fortran_order;
  guint ndim;
  gint64 dims[GNET_MAX_DIMS];
} NpyHeader;

static gboolean
parse_shape (Cursor * c, NpyHeader * h, const gchar * name, GError ** error)
{
  if (!cursor_eat (c, '('))
    goto bad;
  h->ndim = 0;
  while (!cursor_eat (c, ')')) {
    gint64 d;
    if (!cursor_dim (c, &d))
      goto bad;
    if (h->ndim == GNET_MAX_DIMS) {
      g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
          "%s: more than %d dimensions", name, GNET_MAX_DIMS);
      return FALSE;
    }
    h->dims[h->ndim++] = d;
    /* "(3,)" and "(1, 3)" are both valid; a missing comma is not. */
    if (!cursor_eat (c, ',')) {
      if (!cursor_eat (c, ')'))
        goto bad;
      break;
    }
  }
  return TRUE;

bad:
  g_set_error (error, GNET_ERROR, GNET_ERROR_PARSE,
      "%s: malformed 'shape' in .npy header", name);
  return FALSE;
}

static gboolean
parse_header_dict (const gchar * text, gsize len, const gchar * name,
    NpyHeader * h, GError ** error)
{
  Cursor c = { text, text + len };
  gboolean have_descr = FALSE, have_order = FALSE, have_shape = FALSE;
  gchar key[32];

  if (!cursor_eat (&c, '{'))
    goto bad;
  while (!cursor_eat (&c, '}')) {
    if (!cursor_string (&c, key, sizeof key) || !cursor_eat (&c, ':'))
      goto bad;
    if (strcmp (key, "descr") == 0 && !have_descr) {
      if (!cursor_string (&c, h->descr, sizeof h->descr))
        goto bad;
      have_descr = TRUE;
    } else if (strcmp (key, "fortran_order") == 0 && !have_order) {
      if (cursor_word (&c, "True"))
        h->fortran_order = TRUE;
      else if (cursor_word (&c, "False"))
        h->fortran_order = FALSE;
      else
        goto bad;
      have_order = TRUE;
    } else if (strcmp (key, "shape") == 0 && !have_shape) {
      if (!parse_shape (&c, h, name, error))
        return FALSE;
      have_shape = TRUE;
    } else {
      g_set_error (error, GNET_ERROR, GNET_ERROR_PARSE,
          "%s: unexpected or repeated key '%s' in .npy header", name, key);
      return FALSE;
    }
    if (!cursor_eat (&c, ',')) {
      if (!cursor_eat (&c, '}'))
        goto bad;
      break;
    }
  }
  /* Only padding may follow the dict. */
  cursor_skip_ws (&c);
  if (c.p != c.end)
    goto bad;
  if (!have_descr || !have_order || !have_shape) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_PARSE,
        "%s: .npy header lacks '%s'", name,
        !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
    return FALSE;
  }
  return TRUE;

bad:
  g_set_error (error, GNET_ERROR, GNET_ERROR_PARSE,
      "%s: malformed .npy header dict", name);
  return FALSE;
}

static gboolean
dtype_from_descr (const gchar * descr, GnetDType * out)
{
  /* '=' and '|' mean native / not applicable; gnet only runs on
   * little-endian hosts' conventions for these files. */
  if (strcmp (descr, "<f4") == 0
      || (G_BYTE_ORDER == G_LITTLE_ENDIAN && strcmp (descr, "=f4") == 0))
    *out = GNET_DTYPE_FLOAT32;
  else if (strcmp (descr, "<i8") == 0
      || (G_BYTE_ORDER == G_LITTLE_ENDIAN && strcmp (descr, "=i8") == 0))
    *out = GNET_DTYPE_INT64;
  else if (strcmp (descr, "|b1") == 0)
    *out = GNET_DTYPE_BOOL;
  else
    return FALSE;
  return TRUE;
}

static const gchar *
descr_from_dtype (GnetDType dtype)
{
  switch (dtype) {
    case GNET_DTYPE_FLOAT32:
      return "<f4";
    case GNET_DTYPE_INT64:
      return "<i8";
    case GNET_DTYPE_BOOL:
      return "|b1";
    default:
      return NULL;
  }
}

/* Converts little-endian file data to host order in place. */
static void
data_from_le (GnetDType dtype, gpointer data, gint64 numel)
{
#if G_BYTE_ORDER == G_BIG_ENDIAN
  if (dtype == GNET_DTYPE_FLOAT32) {
    guint32 *w = data;
    for (gint64 i = 0; i < numel; i++)
      w[i] = GUINT32_FROM_LE (w[i]);
  } else if (dtype == GNET_DTYPE_INT64) {
    guint64 *w = data;
    for (gint64 i = 0; i < numel; i++)
      w[i] = GUINT64_FROM_LE (w[i]);
  }
#endif
}

static gboolean
load_npy (const guint8 * bytes, gsize size, const gchar * name,
    GnetTensor * out, GError ** error)
{
  NpyHeader h = { 0 };
  guint8 major;
  gsize header_len, preamble, avail, elem;
  gint64 numel = 1;
  GnetDType dtype;
  gpointer data;

  if (size < NPY_MAGIC_LEN + 2)
    goto truncated;
  major = bytes[NPY_MAGIC_LEN];
  if (major == 1) {
    if (size < 10)
      goto truncated;
    header_len = bytes[8] | (bytes[9] << 8);
    preamble = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12)
      goto truncated;
    header_len = (gsize) bytes[8] | ((gsize) bytes[9] << 8)
        | ((gsize) bytes[10] << 16) | ((gsize) bytes[11] << 24);
    preamble = 12;
  } else {
    g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
        "%s: .npy format version %u is not supported", name, major);
    return FALSE;
  }
  if (header_len > size - preamble)
    goto truncated;
  if (!parse_header_dict ((const gchar *) bytes + preamble, header_len,
          name, &h, error))
    return FALSE;

  if (!dtype_from_descr (h.descr, &dtype)) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
        "%s: .npy dtype '%s' is not supported (use float32 '<f4', int64 "
        "'<i8' or bool '|b1')", name, h.descr);
    return FALSE;
  }
  if (h.fortran_order) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
        "%s: Fortran-order .npy arrays are not supported (save with "
        "numpy.ascontiguousarray)", name);
    return FALSE;
  }

  /* Check the declared size against the bytes present before allocating. */
  elem = gnet_dtype_size (dtype);
  avail = size - preamble - header_len;
  for (guint i = 0; i < h.ndim; i++) {
    if (h.dims[i] != 0 && numel > G_MAXINT64 / h.dims[i]) {
      g_set_error (error, GNET_ERROR, GNET_ERROR_PARSE,
          "%s: .npy shape overflows", name);
      return FALSE;
    }
    numel *= h.dims[i];
  }
  if ((guint64) numel > avail / elem) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_PARSE,
        "%s: .npy data is truncated: shape needs %" G_GINT64_FORMAT
        " elements of %" G_GSIZE_FORMAT " bytes, %" G_GSIZE_FORMAT
        " bytes present", name, numel, elem, avail);
    return FALSE;
  }
  if ((guint64) numel * elem != avail) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_PARSE,
        "%s: %" G_GSIZE_FORMAT " unexpected bytes after the .npy data",
        name, avail - (gsize) numel * elem);
    return FALSE;
  }

  /* Never hand out NULL data, even for an empty tensor. */
  data = g_malloc (MAX ((gsize) numel * elem, 1));
  memcpy (data, bytes + preamble + header_len, (gsize) numel * elem);
  data_from_le (dtype, data, numel);
  if (dtype == GNET_DTYPE_BOOL) {
    guint8 *b = data;
    for (gint64 i = 0; i < numel; i++)
      b[i] = b[i] != 0;
  }

  memset (out, 0, sizeof *out);
  out->dtype = dtype;
  out->ndim = h.ndim;
  memcpy (out->dims, h.dims, sizeof h.dims);
  out->data = data;
  return TRUE;

truncated:
  g_set_error (error, GNET_ERROR, GNET_ERROR_PARSE,
      "%s: .npy header is truncated", name);
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* ONNX TensorProto                                                         */
/* ------------------------------------------------------------------------ */

static gboolean
load_pb (const guint8 * bytes, gsize size, const gchar * name,
    GnetTensor * out, GError ** error)
{
  Onnx__TensorProto *proto;
  gboolean ok;

  /* An empty buffer is a valid, empty protobuf message: say what it is
   * rather than reporting a missing field. */
  if (size == 0) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_PARSE,
        "%s: empty file (expected .npy or ONNX TensorProto)", name);
    return FALSE;
  }
  proto = onnx__tensor_proto__unpack (NULL, size, bytes);
  if (proto == NULL) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_PARSE,
        "%s: neither a .npy file nor a valid ONNX TensorProto", name);
    return FALSE;
  }
  ok = gnet__tensor_from_proto (proto, name, out, error);
  onnx__tensor_proto__free_unpacked (proto, NULL);
  return ok;
}

/* ------------------------------------------------------------------------ */
/* Public entry points                                                      */
/* ------------------------------------------------------------------------ */

gboolean
gnet_tensor_load_bytes (const guint8 * bytes, gsize size, const gchar * name,
    GnetTensor * out, GError ** error)
{
  g_return_val_if_fail (bytes != NULL || size == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (name == NULL)
    name = "<tensor>";
  if (size >= NPY_MAGIC_LEN && memcmp (bytes, NPY_MAGIC, NPY_MAGIC_LEN) == 0)
    return load_npy (bytes, size, name, out, error);
  return load_pb (bytes, size, name, out, error);
}

gboolean
gnet_tensor_load_file (const gchar * path, GnetTensor * out, GError ** error)
{
  gchar *contents;
  gsize size;
  GError *io_error = NULL;
  gboolean ok;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_file_get_contents (path, &contents, &size, &io_error)) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_IO, "%s", io_error->message);
    g_error_free (io_error);
    return FALSE;
  }
  ok = gnet_tensor_load_bytes ((const guint8 *) contents, size, path, out,
      error);
  g_free (contents);
  return ok;
}

/* Builds the complete preamble (magic, version, length, dict, padding). */
static GString *
npy_preamble (const GnetTensor * tensor)
{
  GString *dict = g_string_new (NULL);
  GString *pre;
  gsize total;

  g_string_append_printf (dict, "{'descr': '%s', 'fortran_order': False, "
      "'shape': (", descr_from_dtype (tensor->dtype));
  for (guint i = 0; i < tensor->ndim; i++)
    g_string_append_printf (dict, "%s%" G_GINT64_FORMAT, i ? ", " : "",
        tensor->dims[i]);
  g_string_append (dict, tensor->ndim == 1 ? ",), }" : "), }");
  /* Pad with spaces and a final newline so the data starts aligned. */
  total = NPY_MAGIC_LEN + 2 + 2 + dict->len + 1;
  while (total % NPY_ALIGN != 0) {
    g_string_append_c (dict, ' ');
    total++;
  }
  g_string_append_c (dict, '\n');

  pre = g_string_new_len (NPY_MAGIC, NPY_MAGIC_LEN);
  g_string_append_c (pre, 1);
  g_string_append_c (pre, 0);
  g_string_append_c (pre, (gchar) (dict->len & 0xff));
  g_string_append_c (pre, (gchar) (dict->len >> 8));
  g_string_append_len (pre, dict->str, dict->len);
  g_string_free (dict, TRUE);
  return pre;
}

static gboolean
write_le_data (FILE * f, const GnetTensor * tensor, gint64 numel)
{
  gsize elem = gnet_dtype_size (tensor->dtype);

#if G_BYTE_ORDER == G_BIG_ENDIAN
  if (elem > 1) {
    const guint8 *src = tensor->data;
    guint8 swapped[8];
    for (gint64 i = 0; i < numel; i++) {
      for (gsize b = 0; b < elem; b++)
        swapped[b] = src[i * elem + elem - 1 - b];
      if (fwrite (swapped, elem, 1, f) != 1)
        return FALSE;
    }
    return TRUE;
  }
#endif
  return numel == 0
      || fwrite (tensor->data, elem, (gsize) numel, f) == (gsize) numel;
}

gboolean
gnet_tensor_save_npy (const GnetTensor * tensor, const gchar * path,
    GError ** error)
{
  GString *pre;
  FILE *f;
  gint64 numel;
  gboolean ok;
  int saved_errno;

  g_return_val_if_fail (tensor != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (tensor->dtype < GNET_DTYPE_COUNT, FALSE);
  g_return_val_if_fail (tensor->ndim <= GNET_MAX_DIMS, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  numel = gnet_tensor_numel (tensor);
  g_return_val_if_fail (numel == 0 || tensor->data != NULL, FALSE);

  f = fopen (path, "wb");
  if (f == NULL) {
    saved_errno = errno;
    g_set_error (error, GNET_ERROR, GNET_ERROR_IO, "%s: cannot create: %s",
        path, g_strerror (saved_errno));
    return FALSE;
  }
  pre = npy_preamble (tensor);
  ok = fwrite (pre->str, 1, pre->len, f) == pre->len
      && write_le_data (f, tensor, numel);
  saved_errno = errno;
  g_string_free (pre, TRUE);
  if (fclose (f) != 0 && ok) {
    ok = FALSE;
    saved_errno = errno;
  }
  if (!ok) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_IO, "%s: write failed: %s",
        path, g_strerror (saved_errno));
    return FALSE;
  }
  return TRUE;
}
