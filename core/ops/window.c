/* window.c - the sliding-window geometry Conv, MaxPool and AveragePool share:
 * attributes (kernel_shape, strides, dilations, pads, auto_pad, ceil_mode)
 * and the ONNX output-size rules.
 */
#include "ops.h"

/* Kernels, strides, dilations and pads above this are hostile, not big: it
 * keeps every window computation far from int64 overflow. */
#define GNET_MAX_WINDOW_VALUE (G_GINT64_CONSTANT (1) << 24)

gboolean
gnet__parse_auto_pad (const GnetNode * node, GnetAutoPad * out,
    GError ** error)
{
  static const gchar *const names[GNET_AUTO_PAD_COUNT] = {
    "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"
  };
  const gchar *s;

  if (!gnet__attr_string (node, "auto_pad", "NOTSET", &s, error))
    return FALSE;
  for (guint i = 0; i < GNET_AUTO_PAD_COUNT; i++) {
    if (g_strcmp0 (s, names[i]) == 0) {
      *out = (GnetAutoPad) i;
      return TRUE;
    }
  }
  g_set_error (error, GNET_ERROR, GNET_ERROR_ATTRIBUTE,
      "auto_pad \"%s\" is not NOTSET, SAME_UPPER, SAME_LOWER or VALID", s);
  return FALSE;
}

/* Reads an int list of `per_axis` values per spatial axis into `dst`
 * (2 * per_axis values), checking that every list agrees on the number of
 * spatial axes; *rank is -1 until a list sets it. */
static gboolean
read_axes (const GnetNode * node, const gchar * name, guint per_axis,
    gint64 min, gint64 * dst, gint * rank, const gchar ** rank_from,
    GError ** error)
{
  const gint64 *v;
  guint n;

  if (!gnet__attr_ints (node, name, &v, &n, error))
    return FALSE;
  if (n == 0)
    return TRUE;
  if (n % per_axis != 0) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_ATTRIBUTE,
        "%s has %u values, not a multiple of %u", name, n, per_axis);
    return FALSE;
  }
  if (*rank >= 0 && (guint) * rank != n / per_axis) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_ATTRIBUTE,
        "%s has %u values but %s implies %d spatial axes", name, n,
        *rank_from, *rank);
    return FALSE;
  }
  *rank = n / per_axis;
  *rank_from = name;
  if (n != 2 * per_axis)
    return TRUE;                /* not 2-D: reported by the caller */
  for (guint i = 0; i < n; i++) {
    if (v[i] < min || v[i] > GNET_MAX_WINDOW_VALUE) {
      g_set_error (error, GNET_ERROR, GNET_ERROR_ATTRIBUTE,
          "%s[%u] is %" G_GINT64_FORMAT ", must be in %" G_GINT64_FORMAT
          "..%" G_GINT64_FORMAT, name, i, v[i], min, GNET_MAX_WINDOW_VALUE);
      return FALSE;
    }
    dst[i] = v[i];
  }
  return TRUE;
}

gboolean
gnet__window_init (const GnetNode * node, GnetWindow * w, guint flags,
    GError ** error)
{
  gint rank = -1;
  const gchar *rank_from = NULL;
  gint64 ceil_mode = 0;

  w->kernel[0] = w->kernel[1] = 0;
  w->strides[0] = w->strides[1] = 1;
  w->dilations[0] = w->dilations[1] = 1;
  for (guint i = 0; i < 4; i++)
    w->pads[i] = 0;

  if (!read_axes (node, "kernel_shape", 1, 1, w->kernel, &rank, &rank_from,
          error)
      || !read_axes (node, "strides", 1, 1, w->strides, &rank, &rank_from,
          error)
      || !read_axes (node, "dilations", 1, 1, w->dilations, &rank,
          &rank_from, error)
      || !read_axes (node, "pads", 2, 0, w->pads, &rank, &rank_from, error))
    return FALSE;
  if (rank >= 0 && rank != 2)
    goto not_2d;
  if ((flags & GNET_WINDOW_NEED_KERNEL) && w->kernel[0] == 0)
    goto no_kernel;
  if (!(flags & GNET_WINDOW_DILATIONS)
      && (w->dilations[0] != 1 || w->dilations[1] != 1))
    goto dilations;
  if (!gnet__parse_auto_pad (node, &w->auto_pad, error))
    return FALSE;
  /* ONNX: explicit pads are only used with NOTSET. */
  if (w->auto_pad != GNET_AUTO_PAD_NOTSET)
    for (guint i = 0; i < 4; i++)
      w->pads[i] = 0;
  if (flags & GNET_WINDOW_CEIL_MODE) {
    if (!gnet__attr_int (node, "ceil_mode", 0, &ceil_mode, error))
      return FALSE;
    if (ceil_mode != 0 && ceil_mode != 1)
      goto bad_ceil;
  }
  w->ceil_mode = ceil_mode;
  return TRUE;

  /* ERRORS */
not_2d:
  g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
      "only 2-D windows are supported, %s implies %d spatial axes",
      rank_from, rank);
  return FALSE;
no_kernel:
  g_set_error (error, GNET_ERROR, GNET_ERROR_ATTRIBUTE,
      "kernel_shape is required");
  return FALSE;
dilations:
  g_set_error (error, GNET_ERROR, GNET_ERROR_UNSUPPORTED,
      "dilations other than 1 are not supported by this operator");
  return FALSE;
bad_ceil:
  g_set_error (error, GNET_ERROR, GNET_ERROR_ATTRIBUTE,
      "ceil_mode is %" G_GINT64_FORMAT ", must be 0 or 1", ceil_mode);
  return FALSE;
}

gboolean
gnet__window_axis (const GnetWindow * w, guint axis, gint64 in,
    gint64 kernel, GnetAxisGeometry * g, GError ** error)
{
  gint64 s = w->strides[axis];
  gint64 ek = (kernel - 1) * w->dilations[axis] + 1;
  gint64 span, total;

  switch (w->auto_pad) {
    case GNET_AUTO_PAD_SAME_UPPER:
    case GNET_AUTO_PAD_SAME_LOWER:
      g->out = (in + s - 1) / s;
      total = MAX (0, (g->out - 1) * s + ek - in);
      g->pad_begin = w->auto_pad == GNET_AUTO_PAD_SAME_UPPER ?
          total / 2 : total - total / 2;
      g->pad_end = total - g->pad_begin;
      break;
    case GNET_AUTO_PAD_VALID:
      g->pad_begin = g->pad_end = 0;
      g->out = in >= ek ? (in - ek) / s + 1 : 0;
      break;
    default:
      g->pad_begin = w->pads[axis];
      g->pad_end = w->pads[axis + 2];
      span = in + g->pad_begin + g->pad_end - ek;
      if (span < 0)
        g->out = 0;
      else if (!w->ceil_mode)
        g->out = span / s + 1;
      else {
        g->out = (span + s - 1) / s + 1;
        /* The last window must start inside the input or the left padding
         * (the rule PyTorch and the ONNX reference follow). */
        if ((g->out - 1) * s >= in + g->pad_begin)
          g->out--;
      }
      break;
  }
  if (g->out <= 0 || in <= 0) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
        "window of %" G_GINT64_FORMAT " (dilated) does not fit input size %"
        G_GINT64_FORMAT " with pads %" G_GINT64_FORMAT "+%" G_GINT64_FORMAT
        " on spatial axis %u", ek, in, g->pad_begin, g->pad_end, axis);
    return FALSE;
  }
  return TRUE;
}

gboolean
gnet__pool_shape (const GnetWindow * w, const GnetView * x, GnetView * out,
    GnetPoolShape * s, GError ** error)
{
  GnetAxisGeometry gh, gw;

  if (!gnet__check_float (x, "X", error))
    return FALSE;
  if (x->ndim != 4) {
    g_set_error (error, GNET_ERROR, x->ndim >= 3 ? GNET_ERROR_UNSUPPORTED :
        GNET_ERROR_SHAPE, "X has rank %u, only 2-D pooling (rank 4) is "
        "supported", x->ndim);
    return FALSE;
  }
  s->n = x->dims[0];
  s->c = x->dims[1];
  s->h = x->dims[2];
  s->w = x->dims[3];
  if (!gnet__window_axis (w, 0, s->h, w->kernel[0], &gh, error)
      || !gnet__window_axis (w, 1, s->w, w->kernel[1], &gw, error))
    return FALSE;
  s->ho = gh.out;
  s->wo = gw.out;
  s->pads[0] = gh.pad_begin;
  s->pads[1] = gw.pad_begin;
  s->pads[2] = gh.pad_end;
  s->pads[3] = gw.pad_end;
  if (out) {
    out->dtype = GNET_DTYPE_FLOAT32;
    out->ndim = 4;
    out->dims[0] = s->n;
    out->dims[1] = s->c;
    out->dims[2] = s->ho;
    out->dims[3] = s->wo;
  }
  return TRUE;
}

gboolean
gnet__pool_check_pads (const GnetWindow * w, GError ** error)
{
  for (guint i = 0; i < 4; i++) {
    gint64 ek = (w->kernel[i % 2] - 1) * w->dilations[i % 2] + 1;

    if (w->pads[i] >= ek) {
      /* A window lying wholly in the padding has no defined value. */
      g_set_error (error, GNET_ERROR, GNET_ERROR_ATTRIBUTE,
          "pads[%u] is %" G_GINT64_FORMAT ", must be smaller than the "
          "kernel (%" G_GINT64_FORMAT ")", i, w->pads[i], ek);
      return FALSE;
    }
  }
  return TRUE;
}
