/* matmul.c - MatMul with numpy semantics: 1-D operands are promoted and
 * their axis dropped again, leading (batch) axes broadcast.  One SGEMM per
 * output matrix, or a single SGEMM when B is one shared matrix.
 */
#include "ops.h"

#include <cblas.h>
#include <string.h>

/* The operands as batches of matrices. */
typedef struct
{
  gint64 m, k, n;
  guint nbatch;                 /* number of broadcast batch axes */
  gint64 batch[GNET_MAX_DIMS];  /* output batch dims */
  gint64 a_stride[GNET_MAX_DIMS];       /* in matrices; 0 = broadcast */
  gint64 b_stride[GNET_MAX_DIMS];
  gint64 a_count, b_count;      /* matrices in A and in B */
} MatMulShape;

static void
batch_strides (const GnetView * v, guint mat_ndim, const MatMulShape * s,
    gint64 * strides, gint64 * count)
{
  guint vb = v->ndim - mat_ndim;        /* batch axes of this operand */
  gint64 st = 1;

  for (gint i = (gint) s->nbatch - 1; i >= 0; i--) {
    gint j = i - ((gint) s->nbatch - (gint) vb);
    gint64 d = j >= 0 ? v->dims[j] : 1;

    strides[i] = d == 1 ? 0 : st;
    st *= d;
  }
  *count = st;
}

static gboolean
matmul_shape (const GnetView * a, const GnetView * b, MatMulShape * s,
    GnetView * out, GError ** error)
{
  guint am = MIN (a->ndim, 2), bm = MIN (b->ndim, 2);
  guint ab = a->ndim - am, bb = b->ndim - bm;
  gint64 kb;

  if (a->ndim == 0 || b->ndim == 0) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
        "MatMul operands cannot be scalars");
    return FALSE;
  }
  s->m = a->ndim >= 2 ? a->dims[a->ndim - 2] : 1;
  s->k = a->dims[a->ndim - 1];
  kb = b->ndim >= 2 ? b->dims[b->ndim - 2] : b->dims[0];
  s->n = b->ndim >= 2 ? b->dims[b->ndim - 1] : 1;
  if (s->k != kb) {
    g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
        "A has %" G_GINT64_FORMAT " columns but B has %" G_GINT64_FORMAT
        " rows", s->k, kb);
    return FALSE;
  }
  s->nbatch = MAX (ab, bb);
  for (guint i = 0; i < s->nbatch; i++) {
    gint ia = (gint) i - (gint) (s->nbatch - ab);
    gint ib = (gint) i - (gint) (s->nbatch - bb);
    gint64 da = ia >= 0 ? a->dims[ia] : 1;
    gint64 db = ib >= 0 ? b->dims[ib] : 1;

    if (da != db && da != 1 && db != 1) {
      g_set_error (error, GNET_ERROR, GNET_ERROR_SHAPE,
          "batch axis %u: %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT
          " do not broadcast", i, da, db);
      return FALSE;
    }
    s->batch[i] = da == 1 ? db : da;
  }
  batch_strides (a, am, s, s->a_stride, &s->a_count);
  batch_strides (b, bm, s, s->b_stride, &s->b_count);
  if (out) {
    guint r = s->nbatch;

    out->dtype = GNET_DTYPE_FLOAT32;
    memcpy (out->dims, s->batch, s->nbatch * sizeof (gint64));
    if (a->ndim >= 2)
      out->dims[r++] = s->m;
    if (b->ndim >= 2)
      out->dims[r++] = s->n;
    out->ndim = r;
  }
  return TRUE;
}

static gboolean
matmul_infer (const GnetNode * node, const GnetView * in, GnetView * out,
    GnetOpCost * cost, GError ** error)
{
  MatMulShape s;
  gint64 nmat = 1;

  if (!gnet__check_float (&in[0], "A", error)
      || !gnet__check_float (&in[1], "B", error)
      || !matmul_shape (&in[0], &in[1], &s, &out[0], error))
    return FALSE;
  for (guint i = 0; i < s.nbatch; i++)
    nmat *= s.batch[i];
  cost->macs = (guint64) nmat * s.m * s.n * s.k;
  cost->scratch_bytes = 0;
  return TRUE;
}

static void
matmul_forward (const GnetNode * node, const GnetView * in, GnetView * out,
    gpointer scratch)
{
  const gfloat *a = in[0].data, *b = in[1].data;
  gfloat *y = out[0].data;
  gint64 idx[GNET_MAX_DIMS] = { 0 };
  gint64 nmat = 1;
  MatMulShape s;

  matmul_shape (&in[0], &in[1], &s, NULL, NULL);
  for (guint i = 0; i < s.nbatch; i++)
    nmat *= s.batch[i];
  if (nmat == 0 || s.m == 0 || s.n == 0)
    return;
  if (s.k == 0) {
    memset (y, 0, (gsize) (nmat * s.m * s.n) * sizeof (gfloat));
    return;
  }
  if (s.b_count == 1 && s.a_count == nmat) {
    /* Every A matrix meets the same B: stack them into one tall A. */
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, nmat * s.m, s.n,
        s.k, 1.0f, a, s.k, b, s.n, 0.0f, y, s.n);
    return;
  }
  for (gint64 t = 0; t < nmat; t++) {
    gint64 ao = 0, bo = 0;

    for (guint i = 0; i < s.nbatch; i++) {
      ao += idx[i] * s.a_stride[i];
      bo += idx[i] * s.b_stride[i];
    }
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, s.m, s.n, s.k,
        1.0f, a + ao * s.m * s.k, s.k, b + bo * s.k * s.n, s.n, 0.0f,
        y + t * s.m * s.n, s.n);
    /* Next batch index, last axis fastest. */
    for (gint i = (gint) s.nbatch - 1; i >= 0; i--) {
      if (++idx[i] < s.batch[i])
        break;
      idx[i] = 0;
    }
  }
}

const GnetOp gnet__op_matmul = {
  .type = "MatMul",
  .min_opset = 1,
  .min_inputs = 2,.max_inputs = 2,
  .min_outputs = 1,.max_outputs = 1,
  .infer = matmul_infer,
  .forward = matmul_forward,
};
