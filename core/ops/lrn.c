/* lrn.c - LRN across channels:
 *   y = x / (bias + alpha / size * sum of x^2 over nearby channels)^beta
 * The sum of squares slides over the channels (one add and one subtract
 * per element), kept for a whole plane in the scratch buffer.
 */
#include "ops.h"

#include <math.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

typedef struct
{
  gfloat alpha;
  gfloat beta;
  gfloat bias;
  gint64 size;
} LrnParams;

static gboolean
lrn_init (const GnetNode * node, gpointer params, GError ** error)
{
  LrnParams *p = params;

  if (!gnet__attr_float (node, "alpha", 1e-4f, &p->alpha, error)
      || !gnet__attr_float (node, "beta", 0.75f, &p->beta, error)
      || !gnet__attr_float (node, "bias", 1.0f, &p->bias, error)
      || !gnet__attr_int (node, "size", 0, &p->size, error))
    return FALSE;
  if (gnet__node_attr (node, "size") == NULL) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_ATTRIBUTE,
        "size is required");
    return FALSE;
  }
  if (p->size < 1) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_ATTRIBUTE,
        "size is %" G_GINT64_FORMAT ", must be at least 1", p->size);
    return FALSE;
  }
  return TRUE;
}

static gboolean
lrn_infer (const GnetNode * node, const GnetView * in, GnetView * out,
    GnetOpCost * cost, GError ** error)
{
  const GnetView *x = &in[0];

  if (!gnet__check_float (x, "X", error))
    return FALSE;
  if (x->ndim < 2) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
        "X has rank %u, needs at least N x C", x->ndim);
    return FALSE;
  }
  gnet__out_like (&out[0], x);
  cost->macs = (guint64) gnet__view_numel (x) * 3;
  cost->scratch_bytes = (gsize) (gnet__view_numel (x) /
      MAX (x->dims[0] * x->dims[1], 1)) * sizeof (gfloat);
  return TRUE;
}

/* sum += add^2 - sub^2, either may be NULL. */
static void
slide (gfloat * restrict sum, const gfloat * restrict add,
    const gfloat * restrict sub, gint64 n)
{
  if (add && sub)
    for (gint64 i = 0; i < n; i++)
      sum[i] += add[i] * add[i] - sub[i] * sub[i];
  else if (add)
    for (gint64 i = 0; i < n; i++)
      sum[i] += add[i] * add[i];
  else if (sub)
    for (gint64 i = 0; i < n; i++)
      sum[i] -= sub[i] * sub[i];
}

/* y = x * (bias + scale * sum)^-beta over one plane. */
static void
scale_plane (const gfloat * restrict x, gfloat * restrict y,
    const gfloat * restrict sum, gint64 n, gfloat bias, gfloat scale,
    gfloat beta)
{
  gint64 i = 0;

  if (beta != 0.75f) {
    for (; i < n; i++)
      y[i] = x[i] * powf (bias + scale * MAX (sum[i], 0.0f), -beta);
    return;
  }
  /* t^-0.75 = 1 / (sqrt(t) * sqrt(sqrt(t))): two square roots are much
   * cheaper than powf.  GCC does not vectorise sqrtf (it may set errno),
   * so on x86 the square roots are spelt out with SSE. */
#ifdef __SSE2__
  {
    const __m128 vb = _mm_set1_ps (bias), vs = _mm_set1_ps (scale);
    const __m128 zero = _mm_setzero_ps ();

    for (; i + 4 <= n; i += 4) {
      __m128 t = _mm_add_ps (vb, _mm_mul_ps (vs,
              _mm_max_ps (_mm_loadu_ps (sum + i), zero)));
      __m128 r = _mm_sqrt_ps (t);

      _mm_storeu_ps (y + i, _mm_div_ps (_mm_loadu_ps (x + i),
              _mm_mul_ps (r, _mm_sqrt_ps (r))));
    }
  }
#endif
  for (; i < n; i++) {
    gfloat t = bias + scale * MAX (sum[i], 0.0f);
    gfloat r = sqrtf (t);

    y[i] = x[i] / (r * sqrtf (r));
  }
}

typedef struct
{
  const LrnParams *p;
  const gfloat *x;              /* one image */
  gfloat *y;
  gfloat *sum;                  /* [plane] */
  gint64 c, plane;
} LrnJob;

/* Positions [q0, q1) of every plane of one image: the channel window slides
 * over them with its own stretch of the running sum, so parts split the
 * plane and need no scratch of their own. */
static void
lrn_part (gpointer data, guint i, guint n_parts)
{
  const LrnJob *j = data;
  const LrnParams *p = j->p;
  const gint64 c = j->c, plane = j->plane, units = (plane + 15) / 16;
  const gint64 q0 = MIN (plane, units * i / n_parts * 16);
  const gint64 q1 = MIN (plane, units * (i + 1) / n_parts * 16), n = q1 - q0;
  /* Channels c - lo .. c + hi inclusive (ONNX: floor / ceil of (size-1)/2). */
  const gint64 lo = (p->size - 1) / 2, hi = p->size - 1 - lo;
  const gfloat scale = p->alpha / (gfloat) p->size;
  const gfloat *x = j->x + q0;
  gfloat *sum = j->sum + q0;

  if (n <= 0)
    return;
  memset (sum, 0, (gsize) n * sizeof (gfloat));
  for (gint64 k = 0; k <= hi && k < c; k++)
    slide (sum, x + k * plane, NULL, n);

  for (gint64 k = 0; k < c; k++) {
    scale_plane (x + k * plane, j->y + q0 + k * plane, sum, n, p->bias, scale,
        p->beta);
    slide (sum, k + hi + 1 < c ? x + (k + hi + 1) * plane : NULL,
        k - lo >= 0 ? x + (k - lo) * plane : NULL, n);
  }
}

static void
lrn_forward (const GnetNode * node, const GnetView * in, GnetView * out,
    gpointer scratch)
{
  const gint64 n = in[0].dims[0], c = in[0].dims[1];
  LrnJob j = {
    .p = node->params,.sum = scratch,.c = c,
    .plane = gnet__view_numel (&in[0]) / MAX (n * c, 1),
  };
  gint64 nb, item, bstride;

  gnet__out_items (&out[0], &nb, &item, &bstride);
  for (gint64 b = 0; b < n; b++) {
    j.x = (const gfloat *) in[0].data + b * c * j.plane;
    j.y = (gfloat *) out[0].data + b * bstride;
    gnet__parallel_run (gnet__op_threads (), lrn_part, &j);
  }
}

const GnetOp gnet__op_lrn = {
  .type = "LRN",
  .min_opset = 1,
  .params_size = sizeof (LrnParams),
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 1,
  .flags = GNET_OP_STRIDED_OUTPUT,
  .init = lrn_init,
  .infer = lrn_infer,
  .forward = lrn_forward,
};
