/* gemm.c - Gemm: Y = alpha * A' * B' + beta * C, with C broadcast to
 * M x N, as one SGEMM; a fused Relu is applied in place after it.
 */
#include "ops.h"

#include <cblas.h>
#include <string.h>

typedef struct
{
  gfloat alpha;
  gfloat beta;
  gboolean trans_a;
  gboolean trans_b;
} GemmParams;

static gboolean
gemm_init (const GnetNode * node, gpointer params, GError ** error)
{
  GemmParams *p = params;
  gint64 ta, tb;

  if (!gnet__attr_float (node, "alpha", 1.0f, &p->alpha, error)
      || !gnet__attr_float (node, "beta", 1.0f, &p->beta, error)
      || !gnet__attr_int (node, "transA", 0, &ta, error)
      || !gnet__attr_int (node, "transB", 0, &tb, error))
    return FALSE;
  if ((ta != 0 && ta != 1) || (tb != 0 && tb != 1)) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_ATTRIBUTE,
        "transA and transB must be 0 or 1, got %" G_GINT64_FORMAT " and %"
        G_GINT64_FORMAT, ta, tb);
    return FALSE;
  }
  p->trans_a = ta;
  p->trans_b = tb;
  return TRUE;
}

static gboolean
has_c (const GnetNode * node)
{
  return node->n_inputs > 2 && node->inputs[2] >= 0;
}

/* C's extent along the rows and columns of Y (1 when broadcast). */
static void
c_extent (const GnetView * c, gint64 * rows, gint64 * cols)
{
  *rows = c->ndim == 2 ? c->dims[0] : 1;
  *cols = c->ndim >= 1 ? c->dims[c->ndim - 1] : 1;
}

static gboolean
gemm_infer (const GnetNode * node, const GnetView * in, GnetView * out,
    GnetOpCost * cost, GError ** error)
{
  const GemmParams *p = node->params;
  const GnetView *a = &in[0], *b = &in[1];
  gint64 m, k, kb, n, cr, cc;

  if (!gnet__check_float (a, "A", error)
      || !gnet__check_float (b, "B", error))
    return FALSE;
  if (a->ndim != 2 || b->ndim != 2) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
        "A (rank %u) and B (rank %u) must be matrices", a->ndim, b->ndim);
    return FALSE;
  }
  m = a->dims[p->trans_a ? 1 : 0];
  k = a->dims[p->trans_a ? 0 : 1];
  kb = b->dims[p->trans_b ? 1 : 0];
  n = b->dims[p->trans_b ? 0 : 1];
  if (k != kb) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
        "A gives K = %" G_GINT64_FORMAT " but B gives K = %" G_GINT64_FORMAT,
        k, kb);
    return FALSE;
  }
  if (has_c (node)) {
    if (!gnet__check_float (&in[2], "C", error))
      return FALSE;
    c_extent (&in[2], &cr, &cc);
    if (in[2].ndim > 2 || (cr != 1 && cr != m) || (cc != 1 && cc != n)) {
      gchar *s = gnet_dims_to_string (in[2].dims, in[2].ndim);

      g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
          "C %s does not broadcast to %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT,
          s, m, n);
      g_free (s);
      return FALSE;
    }
  }
  out[0].dtype = GNET_DTYPE_FLOAT32;
  out[0].ndim = 2;
  out[0].dims[0] = m;
  out[0].dims[1] = n;
  cost->macs = (guint64) m * n * k;
  cost->scratch_bytes = 0;
  return TRUE;
}

/* y[n0, n1) += alpha * (x . B) for a single row x, B as stored (N x K
 * when trans_b, else K x N).  Single-threaded BLAS-1 calls on slices split
 * among the session's threads: OpenBLAS would wake its own threads for
 * SGEMV, which then spin on the cores the convolutions of the next run
 * need. */
typedef struct
{
  const gfloat *x, *b;
  gfloat *y;
  gint64 n, k;
  gfloat alpha;
  gboolean trans_b;
} RowJob;

static void
row_part (gpointer data, guint i, guint parts)
{
  const RowJob *j = data;
  gint64 n0 = j->n * i / parts, n1 = j->n * (i + 1) / parts;

  if (n0 >= n1)
    return;
  if (j->trans_b) {
    for (gint64 c = n0; c < n1; c++)
      j->y[c] += j->alpha * cblas_sdot (j->k, j->x, 1, j->b + c * j->k, 1);
  } else {
    for (gint64 r = 0; r < j->k; r++)
      cblas_saxpy (n1 - n0, j->alpha * j->x[r], j->b + r * j->n + n0, 1,
          j->y + n0, 1);
  }
}

static void
gemm_forward (const GnetNode * node, const GnetView * in, GnetView * out,
    gpointer scratch)
{
  const GemmParams *p = node->params;
  const gint64 m = out[0].dims[0], n = out[0].dims[1];
  const gint64 k = in[0].dims[p->trans_a ? 0 : 1];
  gfloat *y = out[0].data;
  gfloat beta = 0.0f;

  if (has_c (node) && p->beta != 0.0f) {
    const gfloat *c = in[2].data;
    gint64 cr, cc;

    /* Y starts as beta * C, broadcast; SGEMM then accumulates into it. */
    c_extent (&in[2], &cr, &cc);
    for (gint64 i = 0; i < m; i++) {
      const gfloat *ci = c + (cr == 1 ? 0 : i * cc);
      gfloat *yi = y + i * n;

      if (cc == 1)
        for (gint64 j = 0; j < n; j++)
          yi[j] = p->beta * ci[0];
      else
        for (gint64 j = 0; j < n; j++)
          yi[j] = p->beta * ci[j];
    }
    beta = 1.0f;
  }
  if (m == 1 && n > 0) {
    /* A classifier on one item: a matrix-vector product, which SGEMM
     * handles poorly.  A's single row (or column) is contiguous. */
    RowJob j = {
      .x = in[0].data,.b = in[1].data,.y = y,.n = n,.k = k,
      .alpha = p->alpha,.trans_b = p->trans_b,
    };

    if (beta == 0.0f)
      memset (y, 0, (gsize) n * sizeof (gfloat));
    gnet__parallel_run (gnet__op_threads (), row_part, &j);
  } else if (m > 0 && n > 0) {
    cblas_sgemm (CblasRowMajor, p->trans_a ? CblasTrans : CblasNoTrans,
        p->trans_b ? CblasTrans : CblasNoTrans, m, n, k, p->alpha,
        in[0].data, in[0].dims[1], in[1].data, in[1].dims[1], beta, y, n);
  }
  if (node->fuse_relu)
    gnet__relu_inplace (y, m * n);
}

const GnetOp gnet__op_gemm = {
  .type = "Gemm",
  .min_opset = 7,
  .params_size = sizeof (GemmParams),
  .min_inputs = 2,.max_inputs = 3,
  .min_outputs = 1,.max_outputs = 1,
  .init = gemm_init,
  .infer = gemm_infer,
  .forward = gemm_forward,
};
