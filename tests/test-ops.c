/* test-ops.c - every operator run on its own (no model): random inputs
 * against a naive reference written independently here (direct loops in
 * double precision), with explicit tolerances; strided outputs, fused Relu,
 * costs, and every attribute and shape error with g_assert_error.
 *
 * A node is built by hand (op_type, attributes, opset) and the operator's
 * init, infer and forward are called directly on GnetViews.
 */
#include <math.h>
#include <string.h>

#include "gnet-private.h"

#define SENTINEL 12345.0f
#define MAX_ATTRS 16
#define MAX_IO 8

static GRand *rng;

/* ------------------------------------------------------------------------ */
/* A hand-built node                                                        */
/* ------------------------------------------------------------------------ */

typedef struct
{
  GnetNode node;
  GnetAttr attrs[MAX_ATTRS];
  gint inputs[MAX_IO];
  gint outputs[MAX_IO];
  GnetView in[MAX_IO];
} Case;

static void
case_init (Case * c, const gchar * op_type, gint64 opset)
{
  memset (c, 0, sizeof (*c));
  c->node.name = (gchar *) "test";
  c->node.op_type = (gchar *) op_type;
  c->node.opset = opset;
  c->node.inputs = c->inputs;
  c->node.outputs = c->outputs;
  c->node.attrs = c->attrs;
  c->node.n_outputs = 1;
}

static GnetAttr *
case_attr (Case * c, const gchar * name, GnetAttrType type)
{
  GnetAttr *a = &c->attrs[c->node.n_attrs++];

  g_assert_cmpuint (c->node.n_attrs, <=, MAX_ATTRS);
  a->name = (gchar *) name;
  a->type = type;
  return a;
}

static void
case_int (Case * c, const gchar * name, gint64 v)
{
  case_attr (c, name, GNET_ATTR_INT)->i = v;
}

static void
case_float (Case * c, const gchar * name, gfloat v)
{
  case_attr (c, name, GNET_ATTR_FLOAT)->f = v;
}

static void
case_string (Case * c, const gchar * name, const gchar * v)
{
  case_attr (c, name, GNET_ATTR_STRING)->s = (gchar *) v;
}

/* The list must outlive the case (static arrays in the tests). */
static void
case_ints (Case * c, const gchar * name, guint n, const gint64 * v)
{
  GnetAttr *a = case_attr (c, name, GNET_ATTR_INTS);

  a->n = n;
  a->ints = (gint64 *) v;
}

static void
case_input (Case * c, const GnetView * v)
{
  guint i = c->node.n_inputs++;

  g_assert_cmpuint (i, <, MAX_IO);
  c->inputs[i] = i;
  c->in[i] = *v;
}

static void
case_no_input (Case * c)
{
  guint i = c->node.n_inputs++;

  c->inputs[i] = -1;
  memset (&c->in[i], 0, sizeof (GnetView));
}

static void
case_outputs (Case * c, guint n)
{
  c->node.n_outputs = n;
  for (guint i = 0; i < n; i++)
    c->outputs[i] = i;
}

/* Looks the operator up and runs init. */
static gboolean
case_prepare (Case * c, GError ** error)
{
  const GnetOp *op = gnet__op_lookup (c->node.op_type);

  g_assert_nonnull (op);
  c->node.op = op;
  g_free (c->node.params);
  c->node.params = g_malloc0 (MAX (1, op->params_size));
  g_assert_cmpint (c->node.opset, >=, op->min_opset);
  g_assert_cmpuint (c->node.n_inputs, >=, op->min_inputs);
  g_assert_cmpuint (c->node.n_inputs, <=, op->max_inputs);
  return !op->init || op->init (&c->node, c->node.params, error);
}

static gboolean
case_infer (Case * c, GnetView * out, GnetOpCost * cost, GError ** error)
{
  GnetOpCost dummy;

  if (!case_prepare (c, error))
    return FALSE;
  memset (out, 0, sizeof (GnetView) * MAX_IO);
  return c->node.op->infer (&c->node, c->in, out, cost ? cost : &dummy,
      error);
}

/* Init and infer must fail with `code`. */
static void
case_fails (Case * c, gint code)
{
  GnetView out[MAX_IO];
  GError *error = NULL;

  g_assert_false (case_infer (c, out, NULL, &error));
  g_assert_error (error, GNET_ERROR, code);
  g_assert_nonnull (error->message);
  g_test_message ("%s: %s", c->node.op_type, error->message);
  g_error_free (error);
  g_clear_pointer (&c->node.params, g_free);
}

/* Init, infer and forward.  out[0] is written with `extra` elements between
 * batch items (its gaps are checked untouched), then compacted; every
 * output comes back dense in out[i].data (g_free it). */
static void
case_run (Case * c, gint64 extra, GnetView * out, GnetOpCost * cost)
{
  GError *error = NULL;
  GnetOpCost local = { 0, 0 };
  gpointer scratch;
  gfloat *buf = NULL;
  gint64 n = 1, item = 1;

  if (!case_infer (c, out, &local, &error))
    g_error ("%s: %s", c->node.op_type, error->message);
  if (cost)
    *cost = local;
  for (guint k = 0; k < c->node.n_outputs; k++) {
    gint64 numel = gnet__view_numel (&out[k]);

    if (c->outputs[k] < 0)
      continue;
    out[k].data = g_malloc0 (MAX (1, numel * gnet_dtype_size (out[k].dtype)));
    out[k].batch_stride = out[k].ndim && out[k].dims[0] ?
        numel / out[k].dims[0] : numel;
  }
  if (extra > 0) {
    g_assert_true (c->node.op->flags & GNET_OP_STRIDED_OUTPUT);
    g_assert_cmpint (out[0].dtype, ==, GNET_DTYPE_FLOAT32);
    g_assert_cmpuint (out[0].ndim, >=, 2);
    n = out[0].dims[0];
    item = out[0].batch_stride;
    buf = g_new (gfloat, n * (item + extra));
    for (gint64 i = 0; i < n * (item + extra); i++)
      buf[i] = SENTINEL;
    g_free (out[0].data);
    out[0].data = buf;
    out[0].batch_stride = item + extra;
  }
  scratch = g_malloc (MAX (1, local.scratch_bytes));
  c->node.op->forward (&c->node, c->in, out, scratch);
  g_free (scratch);
  if (extra > 0) {
    gfloat *dense = g_new (gfloat, MAX (1, n * item));

    for (gint64 b = 0; b < n; b++) {
      memcpy (dense + b * item, buf + b * (item + extra),
          item * sizeof (gfloat));
      for (gint64 i = 0; i < extra; i++)
        g_assert_cmpfloat (buf[b * (item + extra) + item + i], ==, SENTINEL);
    }
    g_free (buf);
    out[0].data = dense;
    out[0].batch_stride = item;
  }
  g_clear_pointer (&c->node.params, g_free);
}

static void
free_outputs (GnetView * out, guint n)
{
  for (guint i = 0; i < n; i++)
    g_clear_pointer (&out[i].data, g_free);
}

/* ------------------------------------------------------------------------ */
/* Tensors and checks                                                       */
/* ------------------------------------------------------------------------ */

static GnetView
view_dims (GnetDType dtype, gpointer data, guint ndim, const gint64 * dims)
{
  GnetView v;

  memset (&v, 0, sizeof (v));
  v.dtype = dtype;
  v.ndim = ndim;
  if (ndim)
    memcpy (v.dims, dims, ndim * sizeof (gint64));
  v.data = data;
  v.batch_stride = ndim && dims[0] ? gnet__view_numel (&v) / dims[0] : 1;
  return v;
}

/* A float tensor of uniform random values in [lo, hi). */
static GnetView
random_view (guint ndim, const gint64 * dims, gdouble lo, gdouble hi)
{
  GnetView v = view_dims (GNET_DTYPE_FLOAT32, NULL, ndim, dims);
  gint64 n = gnet__view_numel (&v);
  gfloat *d = g_new (gfloat, MAX (1, n));

  for (gint64 i = 0; i < n; i++)
    d[i] = (gfloat) g_rand_double_range (rng, lo, hi);
  v.data = d;
  return v;
}

#define DIMS(...) ((const gint64[]) { __VA_ARGS__ })
#define NDIMS(...) (sizeof ((gint64[]) { __VA_ARGS__ }) / sizeof (gint64))
#define RANDOM(...) random_view (NDIMS (__VA_ARGS__), DIMS (__VA_ARGS__), \
    -1.0, 1.0)

static void
assert_dims (const GnetView * v, guint ndim, const gint64 * dims)
{
  g_assert_cmpuint (v->ndim, ==, ndim);
  for (guint i = 0; i < ndim; i++)
    g_assert_cmpint (v->dims[i], ==, dims[i]);
}

/* |got - want| <= atol + rtol * |want| everywhere. */
static void
assert_close (const gfloat * got, const gdouble * want, gint64 n,
    gdouble atol, gdouble rtol)
{
  for (gint64 i = 0; i < n; i++) {
    gdouble tol = atol + rtol * fabs (want[i]);

    if (!(fabs (got[i] - want[i]) <= tol))
      g_error ("element %" G_GINT64_FORMAT ": got %.9g, want %.9g "
          "(tolerance %.3g)", i, got[i], want[i], tol);
  }
}

/* ------------------------------------------------------------------------ */
/* Conv                                                                     */
/* ------------------------------------------------------------------------ */

typedef struct
{
  gint64 n, c, h, w, m, kh, kw, group;
  gint64 strides[2], dilations[2], pads[4];
  const gchar *auto_pad;        /* NULL: explicit pads */
  gboolean bias, relu;
  gint64 extra;                 /* strided output */
} ConvCase;

/* Output size and begin pad of one axis, per the ONNX spec. */
static void
ref_axis (const gchar * auto_pad, gint64 in, gint64 k, gint64 s, gint64 d,
    gint64 pb, gint64 pe, gboolean ceil_mode, gint64 * out, gint64 * begin,
    gint64 * end)
{
  gint64 ek = (k - 1) * d + 1;

  if (auto_pad && g_str_has_prefix (auto_pad, "SAME")) {
    gint64 total;

    *out = (gint64) ceil ((gdouble) in / s);
    total = MAX (0, (*out - 1) * s + ek - in);
    *begin = g_str_equal (auto_pad, "SAME_UPPER") ? total / 2 :
        (total + 1) / 2;
    *end = total - *begin;
  } else if (auto_pad && g_str_equal (auto_pad, "VALID")) {
    *out = (gint64) ceil ((gdouble) (in - ek + 1) / s);
    *begin = *end = 0;
  } else {
    gdouble q = (gdouble) (in + pb + pe - ek) / s;

    *out = (gint64) (ceil_mode ? ceil (q) : floor (q)) + 1;
    if (ceil_mode && (*out - 1) * s >= in + pb)
      (*out)--;
    *begin = pb;
    *end = pe;
  }
}

static void
conv_ref (const ConvCase * t, const gfloat * x, const gfloat * w,
    const gfloat * b, gint64 ho, gint64 wo, gint64 pt, gint64 pl,
    gdouble * y)
{
  gint64 cg = t->c / t->group, mg = t->m / t->group;

  for (gint64 n = 0; n < t->n; n++)
    for (gint64 m = 0; m < t->m; m++)
      for (gint64 oh = 0; oh < ho; oh++)
        for (gint64 ow = 0; ow < wo; ow++) {
          gdouble acc = b ? b[m] : 0.0;
          gint64 g = m / mg;

          for (gint64 ci = 0; ci < cg; ci++)
            for (gint64 i = 0; i < t->kh; i++)
              for (gint64 j = 0; j < t->kw; j++) {
                gint64 ih = oh * t->strides[0] - pt + i * t->dilations[0];
                gint64 iw = ow * t->strides[1] - pl + j * t->dilations[1];

                if (ih < 0 || ih >= t->h || iw < 0 || iw >= t->w)
                  continue;
                acc += (gdouble) x[((n * t->c + g * cg + ci) * t->h + ih)
                    * t->w + iw] * w[((m * cg + ci) * t->kh + i) * t->kw + j];
              }
          if (t->relu && acc < 0)
            acc = 0;
          y[((n * t->m + m) * ho + oh) * wo + ow] = acc;
        }
}

static void
run_conv_case (const ConvCase * t)
{
  GnetView x = RANDOM (t->n, t->c, t->h, t->w);
  GnetView w = RANDOM (t->m, t->c / t->group, t->kh, t->kw);
  GnetView b = RANDOM (t->m);
  GnetView out[MAX_IO];
  GnetOpCost cost;
  gint64 kernel[2] = { t->kh, t->kw };
  gint64 ho, wo, pt, pl, pb, pr;
  gdouble *want;
  Case c;

  case_init (&c, "Conv", 11);
  case_input (&c, &x);
  case_input (&c, &w);
  if (t->bias)
    case_input (&c, &b);
  case_ints (&c, "kernel_shape", 2, kernel);
  case_ints (&c, "strides", 2, t->strides);
  case_ints (&c, "dilations", 2, t->dilations);
  if (t->auto_pad)
    case_string (&c, "auto_pad", t->auto_pad);
  else
    case_ints (&c, "pads", 4, t->pads);
  if (t->group != 1)
    case_int (&c, "group", t->group);
  c.node.fuse_relu = t->relu;
  case_run (&c, t->extra, out, &cost);

  ref_axis (t->auto_pad, t->h, t->kh, t->strides[0], t->dilations[0],
      t->pads[0], t->pads[2], FALSE, &ho, &pt, &pb);
  ref_axis (t->auto_pad, t->w, t->kw, t->strides[1], t->dilations[1],
      t->pads[1], t->pads[3], FALSE, &wo, &pl, &pr);
  assert_dims (&out[0], 4, DIMS (t->n, t->m, ho, wo));
  g_assert_cmpuint (cost.macs, ==, (guint64) t->n * t->m * ho * wo *
      (t->c / t->group) * t->kh * t->kw);
  want = g_new (gdouble, t->n * t->m * ho * wo);
  conv_ref (t, x.data, w.data, t->bias ? b.data : NULL, ho, wo, pt, pl, want);
  assert_close (out[0].data, want, t->n * t->m * ho * wo, 1e-5, 1e-4);

  g_free (want);
  free_outputs (out, 1);
  g_free (x.data);
  g_free (w.data);
  g_free (b.data);
}

static void
test_conv (void)
{
  static const ConvCase cases[] = {
    /* n  c  h   w   m  kh kw g  strides  dilations pads */
    {1, 3, 9, 11, 4, 3, 3, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL, TRUE},
    /* asymmetric pads, unequal strides, groups, fused relu */
    {2, 4, 10, 9, 6, 3, 2, 2, {2, 3}, {1, 1}, {0, 1, 2, 0}, NULL, TRUE,
        TRUE},
    /* depthwise, dilated */
    {1, 6, 12, 12, 6, 3, 3, 6, {1, 1}, {2, 2}, {2, 2, 2, 2}, NULL, FALSE},
    /* 1x1 stride 1 (no im2col), strided output, relu without bias */
    {2, 8, 7, 7, 16, 1, 1, 1, {1, 1}, {1, 1}, {0, 0, 0, 0}, NULL, FALSE,
        TRUE, 13},
    /* 1x1 stride 1 with bias, groups */
    {1, 8, 5, 6, 4, 1, 1, 2, {1, 1}, {1, 1}, {0, 0, 0, 0}, NULL, TRUE},
    /* 1x1 stride 2: goes through im2col */
    {1, 8, 7, 7, 4, 1, 1, 1, {2, 2}, {1, 1}, {0, 0, 0, 0}, NULL, TRUE},
    /* 1x1 with pads */
    {1, 2, 4, 4, 3, 1, 1, 1, {1, 1}, {1, 1}, {1, 0, 0, 1}, NULL, FALSE},
    /* 5x5 stride 1 pad 2, strided output */
    {2, 3, 10, 10, 5, 5, 5, 1, {1, 1}, {1, 1}, {2, 2, 2, 2}, NULL, TRUE,
        TRUE, 7},
    /* 7x7 stride 2 pad 3 (a GoogLeNet stem, smaller) */
    {1, 3, 23, 19, 8, 7, 7, 1, {2, 2}, {1, 1}, {3, 3, 3, 3}, NULL, TRUE},
    /* auto_pad */
    {1, 3, 7, 8, 4, 3, 3, 1, {2, 2}, {1, 1}, {0}, "SAME_UPPER", TRUE},
    {1, 3, 7, 8, 4, 4, 2, 1, {1, 1}, {1, 1}, {0}, "SAME_LOWER", TRUE},
    {1, 3, 9, 8, 4, 4, 4, 1, {3, 2}, {1, 2}, {0}, "SAME_UPPER", FALSE},
    {1, 3, 9, 8, 4, 3, 3, 1, {2, 2}, {1, 1}, {0}, "VALID", TRUE},
    /* 3x3 stride 1 with more channels: odd sizes, no pads, asymmetric and
     * wide pads, groups with a strided output, auto_pad, tiny inputs */
    {1, 8, 9, 11, 8, 3, 3, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL, TRUE,
        TRUE},
    {2, 16, 8, 8, 12, 3, 3, 1, {1, 1}, {1, 1}, {0, 0, 0, 0}, NULL, TRUE},
    {1, 12, 7, 10, 16, 3, 3, 1, {1, 1}, {1, 1}, {2, 0, 1, 1}, NULL, FALSE},
    {2, 16, 6, 7, 16, 3, 3, 2, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL, TRUE,
        TRUE, 5},
    {1, 8, 5, 6, 9, 3, 3, 1, {1, 1}, {1, 1}, {0}, "SAME_LOWER", TRUE},
    {1, 8, 1, 2, 8, 3, 3, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL, TRUE},
    {1, 32, 14, 14, 24, 3, 3, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL, TRUE,
        TRUE, 3},
    /* kernel as large as the padded input: 1x1 output */
    {1, 2, 3, 3, 2, 5, 5, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL, TRUE},
  };

  /* Tall outputs, which two threads split into bands of rows, each
   * unfolded a tile at a time (a last tile of a few rows, groups, a batch);
   * three threads' tiles do not fit the scratch and take the rows of one
   * tile at a time instead.  Batches of small images, which two threads
   * split by image (three threads' tiles do not fit: each image's layers
   * are split instead; pointwise needs no scratch and always splits by
   * image). */
  static const ConvCase tall[] = {
    {8, 16, 12, 12, 24, 3, 3, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL, TRUE,
        TRUE},
    {5, 16, 12, 12, 24, 1, 1, 1, {1, 1}, {1, 1}, {0, 0, 0, 0}, NULL, TRUE,
        TRUE},
    {1, 64, 40, 48, 16, 3, 3, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL, TRUE,
        TRUE},
    {2, 32, 30, 64, 8, 3, 3, 2, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL, TRUE},
    {1, 8, 36, 40, 12, 5, 5, 1, {1, 1}, {1, 1}, {2, 2, 2, 2}, NULL, FALSE,
        TRUE},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_test_message ("conv case %u", i);
    run_conv_case (&cases[i]);
  }
  for (gint threads = 1; threads <= 3; threads++) {
    gnet__run_threads = threads;
    for (guint i = 0; i < G_N_ELEMENTS (tall); i++) {
      g_test_message ("tall conv case %u, %d threads", i, threads);
      run_conv_case (&tall[i]);
    }
  }
  gnet__run_threads = 0;
}

static void
conv_error_case (const gint64 * xdims, guint xr, const gint64 * wdims,
    guint wr, void (*attrs) (Case * c), gint code)
{
  GnetView x = view_dims (GNET_DTYPE_FLOAT32, NULL, xr, xdims);
  GnetView w = view_dims (GNET_DTYPE_FLOAT32, NULL, wr, wdims);
  Case c;

  case_init (&c, "Conv", 11);
  case_input (&c, &x);
  case_input (&c, &w);
  if (attrs)
    attrs (&c);
  case_fails (&c, code);
}

static void
attrs_float_strides (Case * c)
{
  case_float (c, "strides", 2.0f);
}

static void
attrs_negative_pads (Case * c)
{
  static const gint64 pads[] = { 1, -1, 1, 1 };
  case_ints (c, "pads", 4, pads);
}

static void
attrs_zero_stride (Case * c)
{
  static const gint64 s[] = { 1, 0 };
  case_ints (c, "strides", 2, s);
}

static void
attrs_group3 (Case * c)
{
  case_int (c, "group", 3);
}

static void
attrs_group0 (Case * c)
{
  case_int (c, "group", 0);
}

static void
attrs_bad_auto_pad (Case * c)
{
  case_string (c, "auto_pad", "SAME");
}

static void
attrs_1d (Case * c)
{
  static const gint64 k[] = { 3 };
  case_ints (c, "kernel_shape", 1, k);
}

static void
attrs_odd_pads (Case * c)
{
  static const gint64 pads[] = { 1, 1, 1 };
  case_ints (c, "pads", 3, pads);
}

static void
attrs_mismatched_lists (Case * c)
{
  static const gint64 k[] = { 3, 3 }, s[] = { 1, 1, 1 };
  case_ints (c, "kernel_shape", 2, k);
  case_ints (c, "strides", 3, s);
}

static void
attrs_wrong_kernel (Case * c)
{
  static const gint64 k[] = { 5, 5 };
  case_ints (c, "kernel_shape", 2, k);
}

static void
test_conv_errors (void)
{
  const gint64 *x = DIMS (1, 6, 8, 8), *w = DIMS (4, 6, 3, 3);

  conv_error_case (x, 4, w, 4, attrs_float_strides, GNET_ERROR_ATTRIBUTE);
  conv_error_case (x, 4, w, 4, attrs_negative_pads, GNET_ERROR_ATTRIBUTE);
  conv_error_case (x, 4, w, 4, attrs_zero_stride, GNET_ERROR_ATTRIBUTE);
  conv_error_case (x, 4, w, 4, attrs_group0, GNET_ERROR_ATTRIBUTE);
  conv_error_case (x, 4, w, 4, attrs_bad_auto_pad, GNET_ERROR_ATTRIBUTE);
  conv_error_case (x, 4, w, 4, attrs_odd_pads, GNET_ERROR_ATTRIBUTE);
  conv_error_case (x, 4, w, 4, attrs_mismatched_lists, GNET_ERROR_ATTRIBUTE);
  conv_error_case (x, 4, w, 4, attrs_1d, GNET_ERROR_UNSUPPORTED);
  conv_error_case (x, 4, w, 4, attrs_wrong_kernel, GNET_ERROR_SHAPE);
  /* group 3 divides neither 6 channels in 2 per group nor W */
  conv_error_case (x, 4, DIMS (4, 2, 3, 3), 4, attrs_group3,
      GNET_ERROR_SHAPE);
  /* W's channels do not match X's */
  conv_error_case (x, 4, DIMS (4, 5, 3, 3), 4, NULL, GNET_ERROR_SHAPE);
  /* kernel bigger than the input: no output */
  conv_error_case (DIMS (1, 6, 2, 8), 4, w, 4, NULL, GNET_ERROR_SHAPE);
  /* ranks */
  conv_error_case (DIMS (6, 8), 2, w, 4, NULL, GNET_ERROR_SHAPE);
  conv_error_case (DIMS (1, 6, 8), 3, DIMS (4, 6, 3), 3, NULL,
      GNET_ERROR_UNSUPPORTED);
  conv_error_case (x, 4, DIMS (4, 6, 9), 3, NULL, GNET_ERROR_SHAPE);
  conv_error_case (x, 4, DIMS (4, 6, 0, 3), 4, NULL, GNET_ERROR_SHAPE);

  /* a bias of the wrong length, and an int64 input */
  {
    GnetView xv = view_dims (GNET_DTYPE_FLOAT32, NULL, 4, x);
    GnetView wv = view_dims (GNET_DTYPE_FLOAT32, NULL, 4, w);
    GnetView bv = view_dims (GNET_DTYPE_FLOAT32, NULL, 1, DIMS (5));
    GnetView iv = view_dims (GNET_DTYPE_INT64, NULL, 4, x);
    Case c;

    case_init (&c, "Conv", 11);
    case_input (&c, &xv);
    case_input (&c, &wv);
    case_input (&c, &bv);
    case_fails (&c, GNET_ERROR_SHAPE);

    case_init (&c, "Conv", 11);
    case_input (&c, &iv);
    case_input (&c, &wv);
    case_fails (&c, GNET_ERROR_UNSUPPORTED);
  }
}

/* ------------------------------------------------------------------------ */
/* MaxPool and AveragePool                                                  */
/* ------------------------------------------------------------------------ */

typedef struct
{
  gint64 n, c, h, w;
  gint64 kernel[2], strides[2], dilations[2], pads[4];
  const gchar *auto_pad;
  gboolean ceil_mode;
  gboolean count_include_pad;
  gint64 extra;
} PoolCase;

static void
pool_ref (const PoolCase * t, gboolean max, const gfloat * x, gint64 ho,
    gint64 wo, const gint64 * pads, gdouble * y)
{
  for (gint64 p = 0; p < t->n * t->c; p++)
    for (gint64 oh = 0; oh < ho; oh++)
      for (gint64 ow = 0; ow < wo; ow++) {
        gdouble acc = max ? -INFINITY : 0.0;
        gint64 count = 0;

        for (gint64 i = 0; i < t->kernel[0]; i++)
          for (gint64 j = 0; j < t->kernel[1]; j++) {
            gint64 ih = oh * t->strides[0] - pads[0] + i * t->dilations[0];
            gint64 iw = ow * t->strides[1] - pads[1] + j * t->dilations[1];
            gboolean inside = ih >= 0 && ih < t->h && iw >= 0 && iw < t->w;
            /* Padded area, as far as count_include_pad counts it. */
            gboolean padded = ih >= -pads[0] && ih < t->h + pads[2]
                && iw >= -pads[1] && iw < t->w + pads[3];

            if (inside) {
              gdouble v = x[(p * t->h + ih) * t->w + iw];

              acc = max ? MAX (acc, v) : acc + v;
            }
            if (t->count_include_pad ? padded : inside)
              count++;
          }
        y[(p * ho + oh) * wo + ow] = max ? acc : acc / count;
      }
}

static void
run_pool_case (const PoolCase * t, gboolean max)
{
  GnetView x = RANDOM (t->n, t->c, t->h, t->w);
  GnetView out[MAX_IO];
  gint64 ho, wo, pads[4];
  gdouble *want;
  Case c;

  case_init (&c, max ? "MaxPool" : "AveragePool", 12);
  case_input (&c, &x);
  case_ints (&c, "kernel_shape", 2, t->kernel);
  case_ints (&c, "strides", 2, t->strides);
  if (max)
    case_ints (&c, "dilations", 2, t->dilations);
  if (t->auto_pad)
    case_string (&c, "auto_pad", t->auto_pad);
  else
    case_ints (&c, "pads", 4, t->pads);
  case_int (&c, "ceil_mode", t->ceil_mode);
  if (!max)
    case_int (&c, "count_include_pad", t->count_include_pad);
  case_run (&c, t->extra, out, NULL);

  ref_axis (t->auto_pad, t->h, t->kernel[0], t->strides[0],
      t->dilations[0], t->pads[0], t->pads[2], t->ceil_mode, &ho, &pads[0],
      &pads[2]);
  ref_axis (t->auto_pad, t->w, t->kernel[1], t->strides[1],
      t->dilations[1], t->pads[1], t->pads[3], t->ceil_mode, &wo, &pads[1],
      &pads[3]);
  assert_dims (&out[0], 4, DIMS (t->n, t->c, ho, wo));
  want = g_new (gdouble, t->n * t->c * ho * wo);
  pool_ref (t, max, x.data, ho, wo, pads, want);
  assert_close (out[0].data, want, t->n * t->c * ho * wo, 1e-6, 1e-5);
  g_free (want);
  free_outputs (out, 1);
  g_free (x.data);
}

static const PoolCase pool_cases[] = {
  /* n c  h   w   kernel  strides dilations pads */
  {1, 2, 8, 8, {2, 2}, {2, 2}, {1, 1}, {0, 0, 0, 0}},
  {2, 3, 9, 10, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, NULL, FALSE, TRUE},
  /* Caffe's ceil emulation: asymmetric end pads */
  {1, 3, 13, 13, {3, 3}, {2, 2}, {1, 1}, {0, 0, 1, 1}},
  {1, 3, 14, 14, {3, 3}, {2, 2}, {1, 1}, {0, 0, 1, 1}, NULL, FALSE, TRUE},
  /* torchvision: ceil_mode */
  {2, 3, 13, 14, {3, 3}, {2, 2}, {1, 1}, {0, 0, 0, 0}, NULL, TRUE},
  {1, 2, 4, 4, {3, 3}, {2, 2}, {1, 1}, {0, 0, 0, 0}, NULL, TRUE},
  /* ceil_mode where the last window would start in the end pad: dropped */
  {1, 2, 5, 5, {3, 3}, {3, 3}, {1, 1}, {0, 0, 2, 2}, NULL, TRUE},
  {1, 2, 5, 7, {3, 3}, {3, 2}, {1, 1}, {1, 0, 2, 1}, NULL, TRUE, TRUE},
  /* ceil_mode + count_include_pad: windows clipped at the padded end */
  {1, 2, 6, 6, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, NULL, TRUE, TRUE},
  /* stride 1 3x3 pad 1 (Inception branch), strided output */
  {2, 4, 7, 7, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL, FALSE, FALSE, 5},
  /* 7x7 global-like */
  {1, 3, 7, 7, {7, 7}, {1, 1}, {1, 1}, {0, 0, 0, 0}},
  /* auto_pad */
  {1, 2, 7, 8, {3, 3}, {2, 2}, {1, 1}, {0}, "SAME_UPPER"},
  {1, 2, 7, 8, {2, 3}, {2, 1}, {1, 1}, {0}, "SAME_LOWER", FALSE, TRUE},
  {1, 2, 7, 8, {3, 2}, {2, 2}, {1, 1}, {0}, "VALID"},
  /* non-square kernel, unequal strides */
  {1, 2, 11, 9, {2, 4}, {3, 1}, {1, 1}, {1, 2, 0, 3}, NULL, FALSE, TRUE, 3},
};

static void
test_maxpool (void)
{
  static const PoolCase dilated[] = {
    {1, 2, 9, 9, {2, 2}, {1, 1}, {2, 2}, {0, 0, 0, 0}},
    {1, 2, 10, 11, {3, 2}, {2, 1}, {2, 3}, {1, 1, 2, 2}, NULL, TRUE},
  };

  for (guint i = 0; i < G_N_ELEMENTS (pool_cases); i++) {
    g_test_message ("maxpool case %u", i);
    run_pool_case (&pool_cases[i], TRUE);
  }
  for (guint i = 0; i < G_N_ELEMENTS (dilated); i++)
    run_pool_case (&dilated[i], TRUE);
}

static void
test_averagepool (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (pool_cases); i++) {
    PoolCase t = pool_cases[i];

    g_test_message ("averagepool case %u", i);
    run_pool_case (&t, FALSE);
    /* and with the other count_include_pad */
    t.count_include_pad = !t.count_include_pad;
    run_pool_case (&t, FALSE);
  }
}

static void
test_pool_errors (void)
{
  static const gint64 k3[] = { 3, 3 }, k1d[] = { 3 }, d2[] = { 2, 2 };
  static const gint64 pad3[] = { 3, 0, 0, 0 }, neg[] = { 0, 0, -1, 0 };
  GnetView x = view_dims (GNET_DTYPE_FLOAT32, NULL, 4, DIMS (1, 2, 8, 8));
  GnetView x3 = view_dims (GNET_DTYPE_FLOAT32, NULL, 3, DIMS (1, 2, 8));
  GnetView small = view_dims (GNET_DTYPE_FLOAT32, NULL, 4, DIMS (1, 2, 2, 8));
  Case c;

  /* kernel_shape is required */
  case_init (&c, "MaxPool", 12);
  case_input (&c, &x);
  case_fails (&c, GNET_ERROR_ATTRIBUTE);
  /* of type ints */
  case_init (&c, "MaxPool", 12);
  case_input (&c, &x);
  case_int (&c, "kernel_shape", 3);
  case_fails (&c, GNET_ERROR_ATTRIBUTE);
  /* the Indices output */
  case_init (&c, "MaxPool", 12);
  case_input (&c, &x);
  case_outputs (&c, 2);
  case_ints (&c, "kernel_shape", 2, k3);
  case_fails (&c, GNET_ERROR_UNSUPPORTED);
  /* ceil_mode 2 */
  case_init (&c, "MaxPool", 12);
  case_input (&c, &x);
  case_ints (&c, "kernel_shape", 2, k3);
  case_int (&c, "ceil_mode", 2);
  case_fails (&c, GNET_ERROR_ATTRIBUTE);
  /* pads as large as the kernel */
  case_init (&c, "MaxPool", 12);
  case_input (&c, &x);
  case_ints (&c, "kernel_shape", 2, k3);
  case_ints (&c, "pads", 4, pad3);
  case_fails (&c, GNET_ERROR_ATTRIBUTE);
  /* negative pads */
  case_init (&c, "AveragePool", 12);
  case_input (&c, &x);
  case_ints (&c, "kernel_shape", 2, k3);
  case_ints (&c, "pads", 4, neg);
  case_fails (&c, GNET_ERROR_ATTRIBUTE);
  /* 1-D pooling */
  case_init (&c, "MaxPool", 12);
  case_input (&c, &x3);
  case_ints (&c, "kernel_shape", 1, k1d);
  case_fails (&c, GNET_ERROR_UNSUPPORTED);
  /* a rank-3 input to a 2-D kernel */
  case_init (&c, "MaxPool", 12);
  case_input (&c, &x3);
  case_ints (&c, "kernel_shape", 2, k3);
  case_fails (&c, GNET_ERROR_UNSUPPORTED);
  /* kernel larger than the input */
  case_init (&c, "AveragePool", 12);
  case_input (&c, &small);
  case_ints (&c, "kernel_shape", 2, k3);
  case_fails (&c, GNET_ERROR_SHAPE);
  /* count_include_pad 3 */
  case_init (&c, "AveragePool", 12);
  case_input (&c, &x);
  case_ints (&c, "kernel_shape", 2, k3);
  case_int (&c, "count_include_pad", 3);
  case_fails (&c, GNET_ERROR_ATTRIBUTE);
  /* AveragePool dilations (opset 19) */
  case_init (&c, "AveragePool", 12);
  case_input (&c, &x);
  case_ints (&c, "kernel_shape", 2, k3);
  case_ints (&c, "dilations", 2, d2);
  case_fails (&c, GNET_ERROR_UNSUPPORTED);
}

static void
test_globalaveragepool (void)
{
  GnetView x = RANDOM (2, 5, 7, 6);
  GnetView out[MAX_IO];
  gdouble want[10];
  const gfloat *xd = x.data;
  Case c;

  for (gint64 p = 0; p < 10; p++) {
    want[p] = 0;
    for (gint64 i = 0; i < 42; i++)
      want[p] += xd[p * 42 + i];
    want[p] /= 42;
  }
  case_init (&c, "GlobalAveragePool", 1);
  case_input (&c, &x);
  case_run (&c, 4, out, NULL);
  assert_dims (&out[0], 4, DIMS (2, 5, 1, 1));
  assert_close (out[0].data, want, 10, 1e-6, 1e-5);
  free_outputs (out, 1);

  x.ndim = 2;
  case_init (&c, "GlobalAveragePool", 1);
  case_input (&c, &x);
  case_fails (&c, GNET_ERROR_SHAPE);
  g_free (x.data);
}

/* ------------------------------------------------------------------------ */
/* LRN                                                                      */
/* ------------------------------------------------------------------------ */

static void
run_lrn (gint64 size, gfloat alpha, gfloat beta, gfloat bias, gint64 extra,
    gdouble scale_input)
{
  const gint64 n = 2, ch = 9, plane = 5 * 4;
  GnetView x = random_view (4, DIMS (n, ch, 5, 4), -scale_input,
      scale_input);
  const gfloat *xd = x.data;
  gdouble *want = g_new (gdouble, n * ch * plane);
  GnetView out[MAX_IO];
  Case c;

  for (gint64 b = 0; b < n; b++)
    for (gint64 k = 0; k < ch; k++)
      for (gint64 i = 0; i < plane; i++) {
        gint64 lo = MAX (0, k - (size - 1) / 2);
        gint64 hi = MIN (ch - 1, k + (size - 1 + 1) / 2);
        gdouble sum = 0, v = xd[(b * ch + k) * plane + i];

        for (gint64 j = lo; j <= hi; j++) {
          gdouble u = xd[(b * ch + j) * plane + i];
          sum += u * u;
        }
        want[(b * ch + k) * plane + i] =
            v / pow (bias + alpha / size * sum, beta);
      }
  case_init (&c, "LRN", 13);
  case_input (&c, &x);
  case_int (&c, "size", size);
  case_float (&c, "alpha", alpha);
  case_float (&c, "beta", beta);
  case_float (&c, "bias", bias);
  case_run (&c, extra, out, NULL);
  assert_dims (&out[0], 4, DIMS (n, ch, 5, 4));
  assert_close (out[0].data, want, n * ch * plane, 1e-6, 1e-4);
  free_outputs (out, 1);
  g_free (want);
  g_free (x.data);
}

static void
test_lrn (void)
{
  /* GoogLeNet's settings on realistic magnitudes, the fast beta path */
  run_lrn (5, 1e-4f, 0.75f, 1.0f, 0, 50.0);
  run_lrn (5, 1e-4f, 0.75f, 1.0f, 11, 100.0);
  /* even size (asymmetric window), other beta and bias: powf path */
  run_lrn (4, 0.02f, 0.6f, 2.0f, 0, 1.0);
  run_lrn (3, 0.5f, 1.0f, 1.5f, 0, 2.0);
  /* window wider than the channels */
  run_lrn (21, 0.3f, 0.75f, 1.0f, 3, 1.0);
  run_lrn (1, 0.3f, 0.75f, 1.0f, 0, 1.0);
}

static void
test_lrn_errors (void)
{
  GnetView x = view_dims (GNET_DTYPE_FLOAT32, NULL, 4, DIMS (1, 2, 8, 8));
  GnetView x1 = view_dims (GNET_DTYPE_FLOAT32, NULL, 1, DIMS (8));
  Case c;

  case_init (&c, "LRN", 13);
  case_input (&c, &x);
  case_fails (&c, GNET_ERROR_ATTRIBUTE);        /* size is required */
  case_init (&c, "LRN", 13);
  case_input (&c, &x);
  case_int (&c, "size", 0);
  case_fails (&c, GNET_ERROR_ATTRIBUTE);
  case_init (&c, "LRN", 13);
  case_input (&c, &x);
  case_int (&c, "size", 3);
  case_int (&c, "alpha", 1);
  case_fails (&c, GNET_ERROR_ATTRIBUTE);
  case_init (&c, "LRN", 13);
  case_input (&c, &x1);
  case_int (&c, "size", 3);
  case_fails (&c, GNET_ERROR_SHAPE);
}

/* ------------------------------------------------------------------------ */
/* Concat                                                                   */
/* ------------------------------------------------------------------------ */

static void
run_concat (gint64 axis, gint64 extra)
{
  gint64 base[4] = { 2, 3, 4, 5 }, sizes[3] = { 1, 3, 2 };
  gint64 norm = axis < 0 ? axis + 4 : axis;
  GnetView ins[3], out[MAX_IO];
  gint64 od[4], total = 0, numel;
  gdouble *want;
  Case c;

  case_init (&c, "Concat", 13);
  case_int (&c, "axis", axis);
  for (guint i = 0; i < 3; i++) {
    gint64 d[4];

    memcpy (d, base, sizeof (d));
    d[norm] = sizes[i];
    ins[i] = random_view (4, d, -1, 1);
    case_input (&c, &ins[i]);
    total += sizes[i];
  }
  memcpy (od, base, sizeof (od));
  od[norm] = total;
  numel = od[0] * od[1] * od[2] * od[3];
  want = g_new (gdouble, numel);
  /* Each output element from its input by coordinates. */
  for (gint64 e = 0; e < numel; e++) {
    gint64 idx[4], r = e, k = 0, src;

    for (gint d = 3; d >= 0; d--) {
      idx[d] = r % od[d];
      r /= od[d];
    }
    while (idx[norm] >= sizes[k])
      idx[norm] -= sizes[k++];
    src = ((idx[0] * ins[k].dims[1] + idx[1]) * ins[k].dims[2] + idx[2])
        * ins[k].dims[3] + idx[3];
    want[e] = ((gfloat *) ins[k].data)[src];
  }
  case_run (&c, extra, out, NULL);
  assert_dims (&out[0], 4, od);
  assert_close (out[0].data, want, numel, 0, 0);
  free_outputs (out, 1);
  g_free (want);
  for (guint i = 0; i < 3; i++)
    g_free (ins[i].data);
}

static void
test_concat (void)
{
  for (gint64 axis = -4; axis < 4; axis++) {
    run_concat (axis, 0);
    run_concat (axis, 9);
  }
}

static void
test_concat_in_place (void)
{
  /* An input the plan already wrote into its slice is left alone. */
  gfloat buf[2 * 5 * 3];
  GnetView a, b, out[MAX_IO];
  GnetOpCost cost;
  Case c;

  for (guint i = 0; i < G_N_ELEMENTS (buf); i++)
    buf[i] = i;
  a = view_dims (GNET_DTYPE_FLOAT32, buf, 3, DIMS (2, 2, 3));
  b = RANDOM (2, 3, 3);
  case_init (&c, "Concat", 13);
  case_int (&c, "axis", 1);
  case_input (&c, &a);
  case_input (&c, &b);
  g_assert_true (case_infer (&c, out, &cost, NULL));
  out[0].data = buf;
  out[0].batch_stride = 15;
  c.node.op->forward (&c.node, c.in, out, NULL);
  for (gint64 n = 0; n < 2; n++)
    for (gint64 i = 0; i < 6; i++)
      g_assert_cmpfloat (buf[n * 15 + i], ==, n * 15 + i);
  for (gint64 n = 0; n < 2; n++)
    for (gint64 i = 0; i < 9; i++)
      g_assert_cmpfloat (buf[n * 15 + 6 + i], ==,
          ((gfloat *) b.data)[n * 9 + i]);
  g_clear_pointer (&c.node.params, g_free);
  g_free (b.data);
}

static void
test_concat_errors (void)
{
  GnetView a = view_dims (GNET_DTYPE_FLOAT32, NULL, 2, DIMS (2, 3));
  GnetView b = view_dims (GNET_DTYPE_FLOAT32, NULL, 2, DIMS (3, 3));
  GnetView i = view_dims (GNET_DTYPE_INT64, NULL, 2, DIMS (2, 3));
  GnetView r = view_dims (GNET_DTYPE_FLOAT32, NULL, 3, DIMS (2, 3, 1));
  Case c;

  case_init (&c, "Concat", 13);
  case_input (&c, &a);
  case_fails (&c, GNET_ERROR_ATTRIBUTE);        /* axis is required */
  case_init (&c, "Concat", 13);
  case_int (&c, "axis", 2);
  case_input (&c, &a);
  case_fails (&c, GNET_ERROR_ATTRIBUTE);
  case_init (&c, "Concat", 13);
  case_int (&c, "axis", 1);
  case_input (&c, &a);
  case_input (&c, &b);
  case_fails (&c, GNET_ERROR_SHAPE);
  case_init (&c, "Concat", 13);
  case_int (&c, "axis", 0);
  case_input (&c, &a);
  case_input (&c, &i);
  case_fails (&c, GNET_ERROR_SHAPE);
  case_init (&c, "Concat", 13);
  case_int (&c, "axis", 0);
  case_input (&c, &a);
  case_input (&c, &r);
  case_fails (&c, GNET_ERROR_SHAPE);
}

/* ------------------------------------------------------------------------ */
/* Gemm and MatMul                                                          */
/* ------------------------------------------------------------------------ */

static void
run_gemm (gint64 m, gint64 k, gint64 n, gboolean ta, gboolean tb,
    gfloat alpha, gfloat beta, guint c_ndim, const gint64 * c_dims,
    gboolean relu)
{
  GnetView a = ta ? RANDOM (k, m) : RANDOM (m, k);
  GnetView b = tb ? RANDOM (n, k) : RANDOM (k, n);
  GnetView cv = random_view (c_ndim, c_dims, -1, 1);
  const gfloat *ad = a.data, *bd = b.data, *cd = cv.data;
  gdouble *want = g_new (gdouble, m * n);
  GnetView out[MAX_IO];
  GnetOpCost cost;
  Case c;

  for (gint64 i = 0; i < m; i++)
    for (gint64 j = 0; j < n; j++) {
      gdouble acc = 0;

      for (gint64 l = 0; l < k; l++)
        acc += (gdouble) (ta ? ad[l * m + i] : ad[i * k + l])
            * (tb ? bd[j * k + l] : bd[l * n + j]);
      acc *= alpha;
      if (c_dims) {
        gint64 ci = c_ndim == 2 && c_dims[0] != 1 ? i : 0;
        gint64 cj = c_ndim >= 1 && c_dims[c_ndim - 1] != 1 ? j : 0;
        gint64 cols = c_ndim >= 1 ? c_dims[c_ndim - 1] : 1;

        acc += beta * cd[ci * cols + cj];
      }
      want[i * n + j] = relu && acc < 0 ? 0 : acc;
    }
  case_init (&c, "Gemm", 13);
  case_input (&c, &a);
  case_input (&c, &b);
  if (c_dims)
    case_input (&c, &cv);
  case_int (&c, "transA", ta);
  case_int (&c, "transB", tb);
  case_float (&c, "alpha", alpha);
  case_float (&c, "beta", beta);
  c.node.fuse_relu = relu;
  case_run (&c, 0, out, &cost);
  assert_dims (&out[0], 2, DIMS (m, n));
  g_assert_cmpuint (cost.macs, ==, (guint64) m * n * k);
  assert_close (out[0].data, want, m * n, 1e-5, 1e-4);
  free_outputs (out, 1);
  g_free (want);
  g_free (a.data);
  g_free (b.data);
  g_free (cv.data);
}

static void
test_gemm (void)
{
  run_gemm (3, 5, 4, FALSE, FALSE, 1.0f, 1.0f, 0, NULL, FALSE);
  run_gemm (3, 5, 4, TRUE, FALSE, 0.5f, 1.0f, 2, DIMS (3, 4), FALSE);
  run_gemm (3, 5, 4, FALSE, TRUE, 1.0f, 2.0f, 1, DIMS (4), TRUE);
  run_gemm (3, 5, 4, TRUE, TRUE, -1.5f, 0.5f, 2, DIMS (3, 1), FALSE);
  run_gemm (3, 5, 4, FALSE, TRUE, 1.0f, 0.25f, 2, DIMS (1, 4), FALSE);
  run_gemm (3, 5, 4, FALSE, FALSE, 1.0f, 3.0f, 1, DIMS (1), FALSE);
  run_gemm (3, 5, 4, FALSE, FALSE, 1.0f, 3.0f, 0, DIMS (0), TRUE);
  run_gemm (3, 5, 4, FALSE, FALSE, 1.0f, 0.0f, 2, DIMS (3, 4), FALSE);
  /* a classifier head: 1 x 1024 -> 10 */
  run_gemm (1, 1024, 10, FALSE, TRUE, 1.0f, 1.0f, 1, DIMS (10), FALSE);
  /* one row: the matrix-vector path, every transposition */
  run_gemm (1, 7, 5, FALSE, FALSE, 1.0f, 1.0f, 0, NULL, FALSE);
  run_gemm (1, 7, 5, TRUE, FALSE, 2.0f, 1.0f, 2, DIMS (1, 5), TRUE);
  run_gemm (1, 7, 5, FALSE, TRUE, 1.0f, 0.5f, 0, DIMS (0), FALSE);
  run_gemm (1, 7, 5, TRUE, TRUE, -1.0f, 2.0f, 2, DIMS (1, 1), TRUE);
}

static void
test_gemm_errors (void)
{
  GnetView a = view_dims (GNET_DTYPE_FLOAT32, NULL, 2, DIMS (3, 5));
  GnetView b = view_dims (GNET_DTYPE_FLOAT32, NULL, 2, DIMS (4, 4));
  GnetView bt = view_dims (GNET_DTYPE_FLOAT32, NULL, 2, DIMS (4, 5));
  GnetView c3 = view_dims (GNET_DTYPE_FLOAT32, NULL, 1, DIMS (3));
  GnetView a3 = view_dims (GNET_DTYPE_FLOAT32, NULL, 3, DIMS (1, 3, 5));
  Case c;

  case_init (&c, "Gemm", 13);
  case_input (&c, &a);
  case_input (&c, &b);
  case_fails (&c, GNET_ERROR_SHAPE);
  case_init (&c, "Gemm", 13);
  case_input (&c, &a);
  case_input (&c, &bt);
  case_int (&c, "transB", 1);
  case_input (&c, &c3);         /* 3 does not broadcast to 3 x 4 */
  case_fails (&c, GNET_ERROR_SHAPE);
  case_init (&c, "Gemm", 13);
  case_input (&c, &a);
  case_input (&c, &bt);
  case_int (&c, "transB", 2);
  case_fails (&c, GNET_ERROR_ATTRIBUTE);
  case_init (&c, "Gemm", 13);
  case_input (&c, &a);
  case_input (&c, &bt);
  case_string (&c, "alpha", "one");
  case_fails (&c, GNET_ERROR_ATTRIBUTE);
  case_init (&c, "Gemm", 13);
  case_input (&c, &a3);
  case_input (&c, &bt);
  case_fails (&c, GNET_ERROR_SHAPE);
}

/* numpy matmul, by coordinates. */
static void
run_matmul (guint ar, const gint64 * ad, guint br, const gint64 * bd,
    guint or, const gint64 * od)
{
  GnetView a = random_view (ar, ad, -1, 1), b = random_view (br, bd, -1, 1);
  GnetView out[MAX_IO];
  gint64 k = ad[ar - 1], m = ar >= 2 ? ad[ar - 2] : 1;
  gint64 n = br >= 2 ? bd[br - 1] : 1;
  guint nb = or - (ar >= 2) - (br >= 2);      /* output batch axes */
  gint64 numel = 1;
  gdouble *want;
  Case c;

  (void) m;
  for (guint i = 0; i < or; i++)
    numel *= od[i];
  want = g_new (gdouble, MAX (1, numel));
  for (gint64 e = 0; e < numel; e++) {
    gint64 idx[GNET_MAX_DIMS + 2], r = e, i, j, aoff = 0, boff = 0, as = 1,
        bs = 1;
    gint64 full[GNET_MAX_DIMS + 2];
    gdouble acc = 0;

    /* Output coordinates, with the dropped 1-D axes put back. */
    for (gint d = or - 1; d >= 0; d--) {
      full[d] = r % od[d];
      r /= od[d];
    }
    for (guint d = 0; d < nb; d++)
      idx[d] = full[d];
    i = ar >= 2 ? full[nb] : 0;
    j = br >= 2 ? full[or - 1] : 0;
    /* Batch offsets, broadcasting size-1 axes. */
    for (gint d = (gint) ar - 3; d >= 0; d--) {
      gint64 ix = idx[d + nb - (ar - 2)];
      aoff += (ad[d] == 1 ? 0 : ix) * as;
      as *= ad[d];
    }
    for (gint d = (gint) br - 3; d >= 0; d--) {
      gint64 ix = idx[d + nb - (br - 2)];
      boff += (bd[d] == 1 ? 0 : ix) * bs;
      bs *= bd[d];
    }
    for (gint64 l = 0; l < k; l++)
      acc += (gdouble) ((gfloat *) a.data)[(aoff * m + i) * k + l]
          * ((gfloat *) b.data)[(boff * k + l) * n + j];
    want[e] = acc;
  }
  case_init (&c, "MatMul", 13);
  case_input (&c, &a);
  case_input (&c, &b);
  case_run (&c, 0, out, NULL);
  assert_dims (&out[0], or, od);
  assert_close (out[0].data, want, numel, 1e-5, 1e-4);
  free_outputs (out, 1);
  g_free (want);
  g_free (a.data);
  g_free (b.data);
}

static void
test_matmul (void)
{
  run_matmul (2, DIMS (3, 4), 2, DIMS (4, 5), 2, DIMS (3, 5));
  run_matmul (3, DIMS (2, 3, 4), 3, DIMS (2, 4, 5), 3, DIMS (2, 3, 5));
  /* shared B: one stacked SGEMM */
  run_matmul (4, DIMS (2, 3, 3, 4), 2, DIMS (4, 5), 4, DIMS (2, 3, 3, 5));
  /* broadcast batch axes both ways */
  run_matmul (4, DIMS (2, 1, 3, 4), 3, DIMS (3, 4, 5), 4, DIMS (2, 3, 3, 5));
  run_matmul (2, DIMS (3, 4), 3, DIMS (2, 4, 5), 3, DIMS (2, 3, 5));
  /* 1-D operands */
  run_matmul (1, DIMS (4), 2, DIMS (4, 5), 1, DIMS (5));
  run_matmul (2, DIMS (3, 4), 1, DIMS (4), 1, DIMS (3));
  run_matmul (1, DIMS (4), 3, DIMS (2, 4, 5), 2, DIMS (2, 5));
  run_matmul (3, DIMS (2, 3, 4), 1, DIMS (4), 2, DIMS (2, 3));
}

static void
test_matmul_errors (void)
{
  GnetView a = view_dims (GNET_DTYPE_FLOAT32, NULL, 3, DIMS (2, 3, 4));
  GnetView b = view_dims (GNET_DTYPE_FLOAT32, NULL, 3, DIMS (3, 4, 5));
  GnetView bk = view_dims (GNET_DTYPE_FLOAT32, NULL, 2, DIMS (3, 5));
  GnetView s = view_dims (GNET_DTYPE_FLOAT32, NULL, 0, NULL);
  Case c;

  case_init (&c, "MatMul", 13);
  case_input (&c, &a);
  case_input (&c, &b);
  case_fails (&c, GNET_ERROR_SHAPE);
  case_init (&c, "MatMul", 13);
  case_input (&c, &a);
  case_input (&c, &bk);
  case_fails (&c, GNET_ERROR_SHAPE);
  case_init (&c, "MatMul", 13);
  case_input (&c, &s);
  case_input (&c, &bk);
  case_fails (&c, GNET_ERROR_SHAPE);
}

/* ------------------------------------------------------------------------ */
/* Views: Flatten, Reshape, Identity, Dropout                               */
/* ------------------------------------------------------------------------ */

/* Runs a view op twice: into a separate buffer (must copy) and in place
 * (must leave the data alone). */
static void
check_view_op (Case * c, guint ndim, const gint64 * dims)
{
  GnetView out[MAX_IO];
  const gfloat *x = c->in[0].data;
  gint64 n = gnet__view_numel (&c->in[0]);
  gdouble *want = g_new (gdouble, n);
  GnetOpCost cost;

  g_assert_true (c->node.op == NULL
      || (c->node.op->flags & GNET_OP_VIEW));
  for (gint64 i = 0; i < n; i++)
    want[i] = x[i];
  case_run (c, 0, out, NULL);
  g_assert_true (c->node.op->flags & GNET_OP_VIEW);
  assert_dims (&out[0], ndim, dims);
  g_assert_cmpint (gnet__view_numel (&out[0]), ==, n);
  assert_close (out[0].data, want, n, 0, 0);
  g_free (out[0].data);

  g_assert_true (case_infer (c, out, &cost, NULL));
  out[0].data = c->in[0].data;
  out[0].batch_stride = out[0].ndim ? n / MAX (1, out[0].dims[0]) : n;
  c->node.op->forward (&c->node, c->in, out, NULL);
  assert_close (out[0].data, want, n, 0, 0);
  for (guint k = 1; k < c->node.n_outputs; k++)
    g_free (out[k].data);
  g_clear_pointer (&c->node.params, g_free);
  g_free (want);
}

static void
test_flatten (void)
{
  GnetView x = RANDOM (2, 3, 4, 5);
  Case c;

  for (gint64 axis = -4; axis <= 4; axis++) {
    gint64 a = axis < 0 ? axis + 4 : axis, outer = 1;

    for (gint64 d = 0; d < a; d++)
      outer *= x.dims[d];
    case_init (&c, "Flatten", 13);
    case_input (&c, &x);
    case_int (&c, "axis", axis);
    check_view_op (&c, 2, DIMS (outer, 120 / outer));
  }
  case_init (&c, "Flatten", 13);
  case_input (&c, &x);
  check_view_op (&c, 2, DIMS (2, 60));
  case_init (&c, "Flatten", 13);
  case_input (&c, &x);
  case_int (&c, "axis", 5);
  case_fails (&c, GNET_ERROR_ATTRIBUTE);
  case_init (&c, "Flatten", 13);
  case_input (&c, &x);
  case_int (&c, "axis", -5);
  case_fails (&c, GNET_ERROR_ATTRIBUTE);
  g_free (x.data);
}

static void
reshape_case (GnetView * x, guint n, const gint64 * shape, gboolean allowzero,
    gint code, guint ndim, const gint64 * dims)
{
  GnetView s = view_dims (GNET_DTYPE_INT64, (gpointer) shape, 1, DIMS (n));
  Case c;

  s.is_const = TRUE;
  case_init (&c, "Reshape", 14);
  case_input (&c, x);
  case_input (&c, &s);
  if (allowzero)
    case_int (&c, "allowzero", 1);
  if (code >= 0)
    case_fails (&c, code);
  else
    check_view_op (&c, ndim, dims);
}

static void
test_reshape (void)
{
  GnetView x = RANDOM (2, 3, 4);
  GnetView z = view_dims (GNET_DTYPE_FLOAT32, NULL, 2, DIMS (0, 3));
  GnetView s = view_dims (GNET_DTYPE_INT64, NULL, 1, DIMS (2));
  Case c;

  reshape_case (&x, 2, DIMS (4, 6), FALSE, -1, 2, DIMS (4, 6));
  reshape_case (&x, 3, DIMS (0, -1, 2), FALSE, -1, 3, DIMS (2, 6, 2));
  reshape_case (&x, 1, DIMS (-1), FALSE, -1, 1, DIMS (24));
  reshape_case (&x, 4, DIMS (1, 0, 0, -1), FALSE, -1, 4, DIMS (1, 3, 4, 2));
  reshape_case (&x, 5, DIMS (2, 1, 3, 1, 4), TRUE, -1, 5,
      DIMS (2, 1, 3, 1, 4));
  /* allowzero: 0 is a real zero; a zero-size input may become [0, 3] */
  reshape_case (&z, 2, DIMS (3, 0), TRUE, -1, 2, DIMS (3, 0));
  reshape_case (&x, 3, DIMS (0, 4, 6), TRUE, GNET_ERROR_SHAPE, 0, NULL);
  reshape_case (&x, 2, DIMS (-1, -1), FALSE, GNET_ERROR_SHAPE, 0, NULL);
  reshape_case (&x, 2, DIMS (5, -1), FALSE, GNET_ERROR_SHAPE, 0, NULL);
  reshape_case (&x, 2, DIMS (4, 5), FALSE, GNET_ERROR_SHAPE, 0, NULL);
  reshape_case (&x, 2, DIMS (-2, 12), FALSE, GNET_ERROR_SHAPE, 0, NULL);
  reshape_case (&x, 4, DIMS (2, 3, 4, 0), FALSE, GNET_ERROR_SHAPE, 0, NULL);
  /* a shape only known at run time */
  case_init (&c, "Reshape", 14);
  case_input (&c, &x);
  case_input (&c, &s);
  case_fails (&c, GNET_ERROR_SHAPE);
  case_init (&c, "Reshape", 14);
  case_input (&c, &x);
  case_input (&c, &s);
  case_int (&c, "allowzero", 2);
  case_fails (&c, GNET_ERROR_ATTRIBUTE);
  g_free (x.data);
}

static void
test_identity_dropout (void)
{
  GnetView x = RANDOM (2, 3, 4);
  guint8 no = 0, yes = 1;
  GnetView f = view_dims (GNET_DTYPE_BOOL, &no, 0, NULL);
  GnetView t = view_dims (GNET_DTYPE_BOOL, &yes, 0, NULL);
  GnetView r = view_dims (GNET_DTYPE_FLOAT32, NULL, 0, NULL);
  GnetView out[MAX_IO];
  Case c;

  case_init (&c, "Identity", 16);
  case_input (&c, &x);
  check_view_op (&c, 3, DIMS (2, 3, 4));

  case_init (&c, "Dropout", 10);
  case_input (&c, &x);
  case_float (&c, "ratio", 0.3f);
  check_view_op (&c, 3, DIMS (2, 3, 4));

  /* opset 13 with ratio, training_mode false and the mask */
  f.is_const = TRUE;
  t.is_const = TRUE;
  case_init (&c, "Dropout", 13);
  case_input (&c, &x);
  case_input (&c, &r);
  case_input (&c, &f);
  case_outputs (&c, 2);
  case_run (&c, 0, out, NULL);
  g_assert_cmpint (out[1].dtype, ==, GNET_DTYPE_BOOL);
  assert_dims (&out[1], 3, DIMS (2, 3, 4));
  for (guint i = 0; i < 24; i++) {
    g_assert_cmpuint (((guint8 *) out[1].data)[i], ==, 1);
    g_assert_cmpfloat (((gfloat *) out[0].data)[i], ==,
        ((gfloat *) x.data)[i]);
  }
  free_outputs (out, 2);

  /* opset 7 to 9: the mask has the data's type */
  case_init (&c, "Dropout", 7);
  case_input (&c, &x);
  case_outputs (&c, 2);
  case_run (&c, 0, out, NULL);
  g_assert_cmpint (out[1].dtype, ==, GNET_DTYPE_FLOAT32);
  for (guint i = 0; i < 24; i++)
    g_assert_cmpfloat (((gfloat *) out[1].data)[i], ==, 1.0f);
  free_outputs (out, 2);

  /* training */
  case_init (&c, "Dropout", 13);
  case_input (&c, &x);
  case_no_input (&c);
  case_input (&c, &t);
  case_fails (&c, GNET_ERROR_UNSUPPORTED);
  /* a training_mode known only at run time */
  f.is_const = FALSE;
  case_init (&c, "Dropout", 13);
  case_input (&c, &x);
  case_input (&c, &r);
  case_input (&c, &f);
  case_fails (&c, GNET_ERROR_UNSUPPORTED);
  g_free (x.data);
}

/* ------------------------------------------------------------------------ */
/* Softmax                                                                  */
/* ------------------------------------------------------------------------ */

/* Softmax over the elements whose index along `axes` [first, last] varies. */
static void
run_softmax (gint64 opset, gboolean has_axis, gint64 axis, gdouble scale)
{
  const gint64 dims[4] = { 2, 3, 4, 5 };
  GnetView x = random_view (4, dims, -scale, scale);
  const gfloat *xd = x.data;
  gdouble *want = g_new (gdouble, 120);
  GnetView out[MAX_IO];
  gint64 a, first, last, outer = 1, n = 1, inner = 1;
  Case c;

  a = has_axis ? axis : (opset >= 13 ? -1 : 1);
  a = a < 0 ? a + 4 : a;
  first = a;
  last = opset >= 13 ? a : 3;
  for (gint64 d = 0; d < 4; d++) {
    if (d < first)
      outer *= dims[d];
    else if (d <= last)
      n *= dims[d];
    else
      inner *= dims[d];
  }
  for (gint64 o = 0; o < outer; o++)
    for (gint64 j = 0; j < inner; j++) {
      gdouble max = -INFINITY, sum = 0;

      for (gint64 i = 0; i < n; i++)
        max = MAX (max, xd[(o * n + i) * inner + j]);
      for (gint64 i = 0; i < n; i++)
        sum += exp (xd[(o * n + i) * inner + j] - max);
      for (gint64 i = 0; i < n; i++)
        want[(o * n + i) * inner + j] =
            exp (xd[(o * n + i) * inner + j] - max) / sum;
    }
  case_init (&c, "Softmax", opset);
  case_input (&c, &x);
  if (has_axis)
    case_int (&c, "axis", axis);
  case_run (&c, 0, out, NULL);
  assert_dims (&out[0], 4, dims);
  assert_close (out[0].data, want, 120, 1e-7, 1e-5);
  free_outputs (out, 1);
  g_free (want);
  g_free (x.data);
}

static void
test_softmax (void)
{
  for (gint64 axis = -4; axis < 4; axis++) {
    run_softmax (11, TRUE, axis, 3.0);
    run_softmax (13, TRUE, axis, 3.0);
  }
  run_softmax (11, FALSE, 0, 3.0);
  run_softmax (13, FALSE, 0, 3.0);
  /* large logits must not overflow */
  run_softmax (13, FALSE, 0, 1000.0);
  run_softmax (1, FALSE, 0, 1000.0);
}

static void
test_softmax_errors (void)
{
  GnetView x = view_dims (GNET_DTYPE_FLOAT32, NULL, 2, DIMS (2, 3));
  GnetView s = view_dims (GNET_DTYPE_FLOAT32, NULL, 0, NULL);
  Case c;

  case_init (&c, "Softmax", 13);
  case_input (&c, &x);
  case_int (&c, "axis", 2);
  case_fails (&c, GNET_ERROR_ATTRIBUTE);
  case_init (&c, "Softmax", 11);
  case_input (&c, &x);
  case_int (&c, "axis", -3);
  case_fails (&c, GNET_ERROR_ATTRIBUTE);
  case_init (&c, "Softmax", 13);
  case_input (&c, &s);
  case_fails (&c, GNET_ERROR_SHAPE);
}

/* ------------------------------------------------------------------------ */
/* BatchNormalization                                                       */
/* ------------------------------------------------------------------------ */

static void
test_batchnorm (void)
{
  const gint64 n = 2, ch = 3, plane = 20;
  GnetView x = RANDOM (2, 3, 4, 5);
  GnetView scale = RANDOM (3), bias = RANDOM (3), mean = RANDOM (3);
  GnetView var = random_view (1, DIMS (3), 0.1, 2.0);
  gdouble *want = g_new (gdouble, n * ch * plane);
  GnetView out[MAX_IO];
  Case c;

  for (gint64 b = 0; b < n; b++)
    for (gint64 k = 0; k < ch; k++)
      for (gint64 i = 0; i < plane; i++) {
        gint64 e = (b * ch + k) * plane + i;
        want[e] = (((gfloat *) x.data)[e] - ((gfloat *) mean.data)[k])
            / sqrt (((gfloat *) var.data)[k] + 1e-3)
            * ((gfloat *) scale.data)[k] + ((gfloat *) bias.data)[k];
      }
  for (gint64 extra = 0; extra < 10; extra += 9) {
    case_init (&c, "BatchNormalization", 15);
    case_input (&c, &x);
    case_input (&c, &scale);
    case_input (&c, &bias);
    case_input (&c, &mean);
    case_input (&c, &var);
    case_float (&c, "epsilon", 1e-3f);
    case_run (&c, extra, out, NULL);
    assert_dims (&out[0], 4, x.dims);
    assert_close (out[0].data, want, n * ch * plane, 1e-6, 1e-5);
    free_outputs (out, 1);
  }

  /* training mode, the training outputs, spatial=0, a wrong-sized mean */
  case_init (&c, "BatchNormalization", 15);
  for (guint i = 0; i < 5; i++)
    case_input (&c, i ? &scale : &x);
  case_int (&c, "training_mode", 1);
  case_fails (&c, GNET_ERROR_UNSUPPORTED);
  case_init (&c, "BatchNormalization", 9);
  for (guint i = 0; i < 5; i++)
    case_input (&c, i ? &scale : &x);
  case_outputs (&c, 3);
  case_fails (&c, GNET_ERROR_UNSUPPORTED);
  case_init (&c, "BatchNormalization", 7);
  for (guint i = 0; i < 5; i++)
    case_input (&c, i ? &scale : &x);
  case_int (&c, "spatial", 0);
  case_fails (&c, GNET_ERROR_UNSUPPORTED);
  case_init (&c, "BatchNormalization", 15);
  for (guint i = 0; i < 5; i++)
    case_input (&c, i == 3 ? &x : i ? &scale : &x);
  case_fails (&c, GNET_ERROR_SHAPE);

  g_free (want);
  g_free (x.data);
  g_free (scale.data);
  g_free (bias.data);
  g_free (mean.data);
  g_free (var.data);
}

/* ------------------------------------------------------------------------ */
/* Add                                                                      */
/* ------------------------------------------------------------------------ */

static void
run_add (guint ar, const gint64 * ad, guint br, const gint64 * bd,
    gboolean relu, gint64 extra)
{
  GnetView a = random_view (ar, ad, -1, 1), b = random_view (br, bd, -1, 1);
  guint r = MAX (ar, br);
  gint64 od[GNET_MAX_DIMS] = { 0 }, numel = 1;
  GnetView out[MAX_IO];
  gdouble *want;
  Case c;

  for (guint d = 0; d < r; d++) {
    gint64 x = d + ar >= r ? ad[d + ar - r] : 1;
    gint64 y = d + br >= r ? bd[d + br - r] : 1;

    od[d] = MAX (x, y);
    numel *= od[d];
  }
  want = g_new (gdouble, MAX (1, numel));
  for (gint64 e = 0; e < numel; e++) {
    gint64 rem = e, ai = 0, bi = 0, as = 1, bs = 1;

    for (gint d = (gint) r - 1; d >= 0; d--) {
      gint64 ix = rem % od[d];
      gint da = d - ((gint) r - (gint) ar), db = d - ((gint) r - (gint) br);

      rem /= od[d];
      if (da >= 0) {
        ai += (ad[da] == 1 ? 0 : ix) * as;
        as *= ad[da];
      }
      if (db >= 0) {
        bi += (bd[db] == 1 ? 0 : ix) * bs;
        bs *= bd[db];
      }
    }
    want[e] = (gdouble) ((gfloat *) a.data)[ai] + ((gfloat *) b.data)[bi];
    if (relu && want[e] < 0)
      want[e] = 0;
  }
  case_init (&c, "Add", 14);
  case_input (&c, &a);
  case_input (&c, &b);
  c.node.fuse_relu = relu;
  case_run (&c, extra, out, NULL);
  assert_dims (&out[0], r, od);
  assert_close (out[0].data, want, numel, 1e-6, 1e-6);
  free_outputs (out, 1);
  g_free (want);
  g_free (a.data);
  g_free (b.data);
}

static void
test_add (void)
{
  run_add (4, DIMS (2, 3, 4, 5), 4, DIMS (2, 3, 4, 5), FALSE, 0);
  run_add (4, DIMS (2, 3, 4, 5), 4, DIMS (2, 3, 4, 5), TRUE, 7);
  /* per-channel bias */
  run_add (4, DIMS (2, 3, 4, 5), 3, DIMS (3, 1, 1), FALSE, 0);
  run_add (4, DIMS (2, 3, 4, 5), 3, DIMS (3, 1, 1), TRUE, 4);
  /* scalars and vectors */
  run_add (4, DIMS (2, 3, 4, 5), 0, NULL, FALSE, 0);
  run_add (0, NULL, 2, DIMS (3, 4), FALSE, 0);
  run_add (0, NULL, 0, NULL, FALSE, 0);
  run_add (1, DIMS (5), 4, DIMS (2, 3, 4, 5), FALSE, 3);
  run_add (1, DIMS (7), 1, DIMS (7), FALSE, 0);
  run_add (1, DIMS (7), 1, DIMS (1), FALSE, 0);
  /* both sides broadcast */
  run_add (4, DIMS (2, 1, 4, 1), 3, DIMS (3, 1, 5), FALSE, 0);
  run_add (4, DIMS (1, 3, 1, 5), 4, DIMS (2, 1, 4, 1), TRUE, 2);
  run_add (3, DIMS (1, 1, 1), 3, DIMS (2, 3, 1), FALSE, 0);
}

static void
test_add_errors (void)
{
  GnetView a = view_dims (GNET_DTYPE_FLOAT32, NULL, 2, DIMS (2, 3));
  GnetView b = view_dims (GNET_DTYPE_FLOAT32, NULL, 1, DIMS (2));
  GnetView i = view_dims (GNET_DTYPE_INT64, NULL, 1, DIMS (3));
  Case c;

  case_init (&c, "Add", 14);
  case_input (&c, &a);
  case_input (&c, &b);
  case_fails (&c, GNET_ERROR_SHAPE);
  case_init (&c, "Add", 14);
  case_input (&c, &a);
  case_input (&c, &i);
  case_fails (&c, GNET_ERROR_UNSUPPORTED);
}

/* ------------------------------------------------------------------------ */
/* Element-wise: Relu, Sigmoid, Clip                                        */
/* ------------------------------------------------------------------------ */

static gdouble
ref_relu (gdouble x, gdouble lo, gdouble hi)
{
  return x > 0 ? x : 0;
}

static gdouble
ref_sigmoid (gdouble x, gdouble lo, gdouble hi)
{
  return 1.0 / (1.0 + exp (-x));
}

static gdouble
ref_clip (gdouble x, gdouble lo, gdouble hi)
{
  return MIN (MAX (x, lo), hi);
}

static void
run_unary (Case * c, gdouble (*ref) (gdouble, gdouble, gdouble),
    gdouble lo, gdouble hi, gint64 extra)
{
  const GnetView *x = &c->in[0];
  gint64 n = gnet__view_numel (x);
  gdouble *want = g_new (gdouble, MAX (1, n));
  GnetView out[MAX_IO];

  for (gint64 i = 0; i < n; i++)
    want[i] = ref (((gfloat *) x->data)[i], lo, hi);
  case_run (c, extra, out, NULL);
  assert_dims (&out[0], x->ndim, x->dims);
  assert_close (out[0].data, want, n, 1e-7, 1e-6);
  free_outputs (out, 1);
  g_free (want);
}

static void
test_elementwise (void)
{
  GnetView x = random_view (4, DIMS (2, 3, 4, 5), -10, 10);
  GnetView v = random_view (1, DIMS (17), -10, 10);
  gfloat lo = -2.5f, hi = 4.0f;
  GnetView vlo = view_dims (GNET_DTYPE_FLOAT32, &lo, 0, NULL);
  GnetView vhi = view_dims (GNET_DTYPE_FLOAT32, &hi, 1, DIMS (1));
  Case c;

  for (gint64 extra = 0; extra < 10; extra += 9) {
    case_init (&c, "Relu", 14);
    case_input (&c, &x);
    run_unary (&c, ref_relu, 0, 0, extra);
    case_init (&c, "Sigmoid", 13);
    case_input (&c, &x);
    run_unary (&c, ref_sigmoid, 0, 0, extra);
    /* Clip 11+: both, one or no bound inputs */
    case_init (&c, "Clip", 13);
    case_input (&c, &x);
    case_input (&c, &vlo);
    case_input (&c, &vhi);
    run_unary (&c, ref_clip, lo, hi, extra);
    case_init (&c, "Clip", 13);
    case_input (&c, &x);
    case_no_input (&c);
    case_input (&c, &vhi);
    run_unary (&c, ref_clip, -INFINITY, hi, extra);
    case_init (&c, "Clip", 12);
    case_input (&c, &x);
    case_input (&c, &vlo);
    run_unary (&c, ref_clip, lo, INFINITY, extra);
    case_init (&c, "Clip", 11);
    case_input (&c, &x);
    run_unary (&c, ref_clip, -INFINITY, INFINITY, extra);
    /* Clip 6: attributes */
    case_init (&c, "Clip", 6);
    case_input (&c, &x);
    case_float (&c, "min", -1.0f);
    case_float (&c, "max", 0.5f);
    run_unary (&c, ref_clip, -1.0, 0.5, extra);
  }
  case_init (&c, "Sigmoid", 13);
  case_input (&c, &v);
  run_unary (&c, ref_sigmoid, 0, 0, 0);
  /* min > max gives max, as numpy.clip */
  case_init (&c, "Clip", 6);
  case_input (&c, &v);
  case_float (&c, "min", 1.0f);
  case_float (&c, "max", -1.0f);
  run_unary (&c, ref_clip, 1.0, -1.0, 0);

  g_free (x.data);
  g_free (v.data);
}

static void
test_elementwise_errors (void)
{
  GnetView x = view_dims (GNET_DTYPE_FLOAT32, NULL, 2, DIMS (2, 3));
  GnetView i = view_dims (GNET_DTYPE_INT64, NULL, 2, DIMS (2, 3));
  Case c;

  case_init (&c, "Relu", 14);
  case_input (&c, &i);
  case_fails (&c, GNET_ERROR_UNSUPPORTED);
  case_init (&c, "Sigmoid", 13);
  case_input (&c, &i);
  case_fails (&c, GNET_ERROR_UNSUPPORTED);
  case_init (&c, "Clip", 13);
  case_input (&c, &x);
  case_input (&c, &x);          /* min must be a scalar */
  case_fails (&c, GNET_ERROR_SHAPE);
  case_init (&c, "Clip", 6);
  case_input (&c, &x);
  case_int (&c, "min", 0);
  case_fails (&c, GNET_ERROR_ATTRIBUTE);
}

/* ------------------------------------------------------------------------ */
/* Constant and the registry                                                */
/* ------------------------------------------------------------------------ */

static void
test_constant (void)
{
  static const gint64 ints[] = { 3, -1, 7 };
  GnetView out[MAX_IO];
  Case c;

  case_init (&c, "Constant", 13);
  case_ints (&c, "value_ints", 3, ints);
  case_run (&c, 0, out, NULL);
  g_assert_cmpint (out[0].dtype, ==, GNET_DTYPE_INT64);
  assert_dims (&out[0], 1, DIMS (3));
  g_assert_cmpmem (out[0].data, 3 * sizeof (gint64), ints, sizeof (ints));
  free_outputs (out, 1);

  case_init (&c, "Constant", 13);
  case_float (&c, "value_float", 2.5f);
  case_run (&c, 0, out, NULL);
  g_assert_cmpint (out[0].dtype, ==, GNET_DTYPE_FLOAT32);
  g_assert_cmpuint (out[0].ndim, ==, 0);
  g_assert_cmpfloat (*(gfloat *) out[0].data, ==, 2.5f);
  free_outputs (out, 1);

  /* a tensor value can only be folded by the loader */
  case_init (&c, "Constant", 13);
  case_attr (&c, "value", GNET_ATTR_TENSOR)->tensor = 0;
  case_fails (&c, GNET_ERROR_UNSUPPORTED);
  case_init (&c, "Constant", 13);
  case_int (&c, "value_floats", 1);
  case_fails (&c, GNET_ERROR_ATTRIBUTE);
}

static void
test_registry (void)
{
  static const gchar *const wanted[] = {
    "Conv", "Relu", "MaxPool", "AveragePool", "GlobalAveragePool", "LRN",
    "Concat", "Gemm", "MatMul", "Flatten", "Reshape", "Dropout", "Softmax",
    "BatchNormalization", "Add", "Clip", "Sigmoid", "Identity", "Constant",
  };
  static const gchar *const strided[] = {
    "Conv", "MaxPool", "AveragePool", "LRN", "Relu", "Concat",
    "BatchNormalization", "Add", "Clip", "Sigmoid",
  };
  static const gchar *const views[] = {
    "Flatten", "Reshape", "Identity", "Dropout",
  };
  const GnetOp *const *list = gnet__op_list ();
  guint n = 0;

  for (guint i = 0; i < G_N_ELEMENTS (wanted); i++) {
    const GnetOp *op = gnet__op_lookup (wanted[i]);

    g_assert_nonnull (op);
    g_assert_cmpstr (op->type, ==, wanted[i]);
    g_assert_nonnull (op->infer);
    g_assert_nonnull (op->forward);
  }
  for (guint i = 0; i < G_N_ELEMENTS (strided); i++)
    g_assert_true (gnet__op_lookup (strided[i])->flags &
        GNET_OP_STRIDED_OUTPUT);
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    g_assert_true (gnet__op_lookup (views[i])->flags & GNET_OP_VIEW);
  for (; list[n]; n++)
    g_assert_true (gnet__op_lookup (list[n]->type) == list[n]);
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (wanted));
  g_assert_null (gnet__op_lookup ("Conv2D"));
  g_assert_null (gnet__op_lookup ("relu"));
  g_assert_null (gnet__op_lookup (""));
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  rng = g_rand_new_with_seed (20240611);

  g_test_add_func ("/ops/registry", test_registry);
  g_test_add_func ("/ops/conv", test_conv);
  g_test_add_func ("/ops/conv/errors", test_conv_errors);
  g_test_add_func ("/ops/maxpool", test_maxpool);
  g_test_add_func ("/ops/averagepool", test_averagepool);
  g_test_add_func ("/ops/pool/errors", test_pool_errors);
  g_test_add_func ("/ops/globalaveragepool", test_globalaveragepool);
  g_test_add_func ("/ops/lrn", test_lrn);
  g_test_add_func ("/ops/lrn/errors", test_lrn_errors);
  g_test_add_func ("/ops/concat", test_concat);
  g_test_add_func ("/ops/concat/in-place", test_concat_in_place);
  g_test_add_func ("/ops/concat/errors", test_concat_errors);
  g_test_add_func ("/ops/gemm", test_gemm);
  g_test_add_func ("/ops/gemm/errors", test_gemm_errors);
  g_test_add_func ("/ops/matmul", test_matmul);
  g_test_add_func ("/ops/matmul/errors", test_matmul_errors);
  g_test_add_func ("/ops/flatten", test_flatten);
  g_test_add_func ("/ops/reshape", test_reshape);
  g_test_add_func ("/ops/identity-dropout", test_identity_dropout);
  g_test_add_func ("/ops/softmax", test_softmax);
  g_test_add_func ("/ops/softmax/errors", test_softmax_errors);
  g_test_add_func ("/ops/batchnorm", test_batchnorm);
  g_test_add_func ("/ops/add", test_add);
  g_test_add_func ("/ops/add/errors", test_add_errors);
  g_test_add_func ("/ops/elementwise", test_elementwise);
  g_test_add_func ("/ops/elementwise/errors", test_elementwise_errors);
  g_test_add_func ("/ops/constant", test_constant);

  ret = g_test_run ();
  g_rand_free (rng);
  return ret;
}
