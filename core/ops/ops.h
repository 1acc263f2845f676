/* ops.h - what the operator files share: the operator tables the registry
 * lists, the conv/pool window geometry, and small loops used by several
 * operators.  Only core/ops/ includes it.
 */
#ifndef GNET_OPS_H
#define GNET_OPS_H

#include "../gnet-private.h"

G_BEGIN_DECLS

extern const GnetOp gnet__op_add;
extern const GnetOp gnet__op_averagepool;
extern const GnetOp gnet__op_batchnorm;
extern const GnetOp gnet__op_clip;
extern const GnetOp gnet__op_concat;
extern const GnetOp gnet__op_constant;
extern const GnetOp gnet__op_conv;
extern const GnetOp gnet__op_dropout;
extern const GnetOp gnet__op_flatten;
extern const GnetOp gnet__op_gemm;
extern const GnetOp gnet__op_globalaveragepool;
extern const GnetOp gnet__op_identity;
extern const GnetOp gnet__op_lrn;
extern const GnetOp gnet__op_matmul;
extern const GnetOp gnet__op_maxpool;
extern const GnetOp gnet__op_relu;
extern const GnetOp gnet__op_reshape;
extern const GnetOp gnet__op_sigmoid;
extern const GnetOp gnet__op_softmax;

/* ------------------------------------------------------------------------ */
/* Sliding windows (Conv, MaxPool, AveragePool), 2-D only                   */
/* ------------------------------------------------------------------------ */

typedef struct
{
  gint64 kernel[2];             /* 0 when not given (Conv: from W) */
  gint64 strides[2];
  gint64 dilations[2];
  gint64 pads[4];               /* top, left, bottom, right */
  GnetAutoPad auto_pad;
  gboolean ceil_mode;
} GnetWindow;

typedef enum
{
  GNET_WINDOW_NEED_KERNEL = 1 << 0,     /* kernel_shape is required */
  GNET_WINDOW_DILATIONS = 1 << 1,       /* dilations other than 1 allowed */
  GNET_WINDOW_CEIL_MODE = 1 << 2,       /* ceil_mode attribute exists */
} GnetWindowFlags;

/* Where the windows of one spatial axis fall, for one input size. */
typedef struct
{
  gint64 out;                   /* number of windows */
  gint64 pad_begin;
  gint64 pad_end;
} GnetAxisGeometry;

gboolean gnet__window_init (const GnetNode * node, GnetWindow * w,
    guint flags, GError ** error);
/* Output size and pads of axis `axis` (0 = H, 1 = W) for input size `in` and
 * kernel `kernel`; FALSE with GNET_ERROR_SHAPE for a non-positive output. */
gboolean gnet__window_axis (const GnetWindow * w, guint axis, gint64 in,
    gint64 kernel, GnetAxisGeometry * g, GError ** error);
/* For output position `o`, the kernel taps [*k0, *k1) that land inside the
 * input [0, in). */
static inline void
gnet__window_taps (gint64 o, gint64 stride, gint64 dilation, gint64 pad,
    gint64 in, gint64 kernel, gint64 * k0, gint64 * k1)
{
  gint64 start = o * stride - pad;      /* input index of tap 0 */
  gint64 lo = 0, hi;

  if (start < 0)
    lo = (-start + dilation - 1) / dilation;
  hi = in - start <= 0 ? 0 : (in - start + dilation - 1) / dilation;
  if (hi > kernel)
    hi = kernel;
  if (hi < lo)
    hi = lo;
  *k0 = lo;
  *k1 = hi;
}

/* Pooling over a 4-D float input with a kernel_shape window. */
typedef struct
{
  gint64 n, c, h, w;
  gint64 ho, wo;
  gint64 pads[4];               /* top, left, bottom, right, after auto_pad */
} GnetPoolShape;

/* Checks X, computes the pooled shape and, when `out` is not NULL, sets its
 * dtype and dims. */
gboolean gnet__pool_shape (const GnetWindow * w, const GnetView * x,
    GnetView * out, GnetPoolShape * s, GError ** error);

/* The pooling loops (pool.c): scratch they need, and the pass itself over
 * the dense input x into `out` (which may be strided). */
gsize gnet__pool_scratch_bytes (const GnetPoolShape * s);
void gnet__pool_forward (const GnetWindow * w, const GnetPoolShape * s,
    gboolean max, gboolean include_pad, const gfloat * x, GnetView * out,
    gpointer scratch);

/* Explicit pads must be smaller than the (dilated) kernel. */
gboolean gnet__pool_check_pads (const GnetWindow * w, GError ** error);

/* ------------------------------------------------------------------------ */
/* The convolution GEMM (sgemm.c)                                           */
/* ------------------------------------------------------------------------ */

/* C = A * B + bias (per row), then Relu when `relu`.  A is M x K with rows K
 * apart (weights as stored), B is K x N with rows ldb apart, C has rows ldc
 * apart. */
typedef struct
{
  gint64 m, n, k;
  const gfloat *a;
  const gfloat *b;
  gint64 ldb;
  gfloat *c;
  gint64 ldc;
  const gfloat *bias;           /* M values or NULL */
  gboolean relu;
} GnetSgemm;

/* Rows and columns of C one micro-kernel call computes: split work in
 * multiples of these. */
#define GNET_SGEMM_MR 12
#define GNET_SGEMM_NR 32

/* TRUE when this CPU runs gnet__sgemm's kernels (AVX-512); otherwise the
 * caller uses cblas_sgemm. */
gboolean gnet__sgemm_available (void);
/* Computes rows [m0, m1) and columns [n0, n1) of C, so that threads can
 * share one product. */
void gnet__sgemm (const GnetSgemm * g, gint64 m0, gint64 m1, gint64 n0,
    gint64 n1);

/* ------------------------------------------------------------------------ */
/* Shared loops and checks                                                  */
/* ------------------------------------------------------------------------ */

/* Output batch geometry: `n` items of `item` elements, `stride` apart. */
static inline void
gnet__out_items (const GnetView * out, gint64 * n, gint64 * item,
    gint64 * stride)
{
  gint64 numel = gnet__view_numel (out);

  if (out->ndim == 0 || out->dims[0] == 0) {
    *n = 1;
    *item = numel;
    *stride = numel;
    return;
  }
  *n = out->dims[0];
  *item = numel / out->dims[0];
  *stride = out->batch_stride > 0 ? out->batch_stride : *item;
}

/* Marks a plain loop worth compiling twice, for AVX-512 and for the
 * baseline, with the copy picked by the dynamic loader (GCC function
 * multi-versioning): 16 floats a step instead of 4.  Not under
 * ThreadSanitizer, which instruments the picking function, and the loader
 * calls it before the sanitizer's runtime is set up. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) \
    && defined(__GLIBC__) /* ifunc */ && !defined(__SANITIZE_THREAD__)
#define GNET_CLONES __attribute__ ((target_clones ("avx512f", "default")))
#else
#define GNET_CLONES
#endif

/* How many threads the running session wants the forward pass to use.
 * The session sets OpenBLAS's thread count to its own before each run, so
 * that is read back here; the forward signature carries no session. */
guint gnet__op_threads (void);

/* A float tensor or a GNET_ERROR_UNSUPPORTED naming `what`. */
gboolean gnet__check_float (const GnetView * v, const gchar * what,
    GError ** error);
/* infer for float element-wise ops of one input: out is like in[0]. */
gboolean gnet__infer_unary_float (const GnetNode * node, const GnetView * in,
    GnetView * out, GnetOpCost * cost, GError ** error);
/* Copies `in` to `out` (same numel), honouring out->batch_stride; a no-op
 * when they share memory. */
void gnet__copy_view (const GnetView * in, GnetView * out);
/* Normalises an axis in [-rank, rank) (or [-rank, rank] when `inclusive`). */
gboolean gnet__normalize_axis (gint64 axis, guint rank, gboolean inclusive,
    gint64 * out, GError ** error);
/* Numpy broadcast of two shapes into `out`/`out_ndim`. */
gboolean gnet__broadcast_dims (const GnetView * a, const GnetView * b,
    gint64 * out, guint * out_ndim, GError ** error);

/* Gives `out` the dtype and dims of `like`. */
static inline void
gnet__out_like (GnetView * out, const GnetView * like)
{
  out->dtype = like->dtype;
  out->ndim = like->ndim;
  for (guint i = 0; i < like->ndim; i++)
    out->dims[i] = like->dims[i];
}

static inline void
gnet__relu_inplace (gfloat * x, gint64 n)
{
  for (gint64 i = 0; i < n; i++)
    x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

G_END_DECLS
#endif /* GNET_OPS_H */
