/* sgemm.c - the convolution GEMM, C = A * B (+ bias, Relu), with AVX-512
 * when the CPU has it.
 *
 * A is the weight matrix, M x K row-major; B is the unfolded input (or the
 * input itself for a 1x1 convolution), K x N row-major; C is M x N.  A is
 * not packed: the micro-kernel broadcasts its elements from their rows, so
 * the weights are used as the model stores them and no copy of them is made
 * per run.  B is read in 32-column panels of 16-float vectors, in place or,
 * when its rows lie far apart, from a packed copy of the panel.  Blocks of
 * K keep the B panel in L1 while every row block of A passes over it.
 * Bias and Relu are applied to the accumulators before the one store of
 * the last K block, so no separate pass over the output is needed.  The
 * ragged right edge (14x14 and 7x7 layers have N = 196 and 49) uses masked
 * loads and stores.
 */
#include "ops.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define SGEMM_X86 1
#include <immintrin.h>
#endif

#define SGEMM_MR GNET_SGEMM_MR  /* rows of C per micro-kernel call */
#define SGEMM_NR GNET_SGEMM_NR  /* columns: two AVX-512 vectors */
#define SGEMM_KC 320            /* K block: B panel of 40 KiB stays in L1 */
#define SGEMM_NOPACK_LDB 1024   /* widest B read in place, floats */
#define SGEMM_C_BYTES (256 << 10)       /* C block kept in L2 */

gboolean
gnet__sgemm_available (void)
{
#ifdef SGEMM_X86
  static gint avail = -1;

  /* GNET_SGEMM=blas selects the OpenBLAS path, to test it on a CPU with
   * AVX-512. */
  if (g_atomic_int_get (&avail) < 0)
    g_atomic_int_set (&avail, __builtin_cpu_supports ("avx512f")
        && g_strcmp0 (g_getenv ("GNET_SGEMM"), "blas") != 0 ? 1 : 0);
  return g_atomic_int_get (&avail) == 1;
#else
  return FALSE;
#endif
}

#ifdef SGEMM_X86

#define TARGET __attribute__ ((target ("avx512f")))

typedef struct
{
  gint64 kc;
  const gfloat *a;
  gint64 lda;
  const gfloat *b;
  gint64 ldb;
  gfloat *c;
  gint64 ldc;
  const gfloat *bias;           /* of the first row, or NULL */
  __mmask16 mask;               /* valid lanes of the last vector */
  gboolean first, last, relu;
} Tile;

/* One MR x (NV * 16) tile of C over one K block.  MR and NV are constants
 * at every call site, so the loops unroll and the accumulators live in
 * registers (MR * NV <= 24 of the 32). */
static inline __attribute__ ((always_inline)) TARGET void
tile_kernel (const Tile * t, const gint mr, const gint nv)
{
  __m512 acc[SGEMM_MR][2];
  const gfloat *a = t->a, *b = t->b;
  const __m512 zero = _mm512_setzero_ps ();
  const gint64 lda = t->lda, kc = t->kc;
  /* Rows in groups of three from four base pointers: each broadcast
   * addresses base + lda * {0, 4, 8} bytes, with no arithmetic of its own. */
  const gfloat *ag[4] = { a, a + 3 * lda, a + 6 * lda, a + 9 * lda };

#pragma GCC unroll 12
  for (gint i = 0; i < mr; i++) {
    if (t->first) {
      __m512 v = t->bias ? _mm512_set1_ps (t->bias[i]) : zero;

      acc[i][0] = v;
      acc[i][1] = v;
    } else if (nv == 2) {
      acc[i][0] = _mm512_loadu_ps (t->c + i * t->ldc);
      acc[i][1] = _mm512_maskz_loadu_ps (t->mask, t->c + i * t->ldc + 16);
    } else {
      acc[i][0] = _mm512_maskz_loadu_ps (t->mask, t->c + i * t->ldc);
    }
  }
  for (gint64 k = 0; k < kc; k++) {
    __m512 b0, b1 = zero;

    if (nv == 2) {
      b0 = _mm512_loadu_ps (b);
      b1 = _mm512_maskz_loadu_ps (t->mask, b + 16);
    } else {
      b0 = _mm512_maskz_loadu_ps (t->mask, b);
    }
#pragma GCC unroll 12
    for (gint i = 0; i < mr; i++) {
      __m512 ai = _mm512_set1_ps (ag[i / 3][(i % 3) * lda]);

      acc[i][0] = _mm512_fmadd_ps (ai, b0, acc[i][0]);
      if (nv == 2)
        acc[i][1] = _mm512_fmadd_ps (ai, b1, acc[i][1]);
    }
    b += t->ldb;
    for (gint g = 0; g < 4; g++)
      ag[g]++;
  }
#pragma GCC unroll 12
  for (gint i = 0; i < mr; i++) {
    gfloat *c = t->c + i * t->ldc;

    if (t->last && t->relu) {
      acc[i][0] = _mm512_max_ps (acc[i][0], zero);
      acc[i][1] = _mm512_max_ps (acc[i][1], zero);
    }
    if (nv == 2) {
      _mm512_storeu_ps (c, acc[i][0]);
      _mm512_mask_storeu_ps (c + 16, t->mask, acc[i][1]);
    } else {
      _mm512_mask_storeu_ps (c, t->mask, acc[i][0]);
    }
  }
}

typedef void (*TileFunc) (const Tile * t);

#define TILE_FUNCS(MR) \
  static TARGET void tile_##MR##x1 (const Tile * t) { tile_kernel (t, MR, 1); } \
  static TARGET void tile_##MR##x2 (const Tile * t) { tile_kernel (t, MR, 2); }

/* *INDENT-OFF* */
TILE_FUNCS (1) TILE_FUNCS (2) TILE_FUNCS (3) TILE_FUNCS (4)
TILE_FUNCS (5) TILE_FUNCS (6) TILE_FUNCS (7) TILE_FUNCS (8)
TILE_FUNCS (9) TILE_FUNCS (10) TILE_FUNCS (11) TILE_FUNCS (12)

static const TileFunc tile_funcs[SGEMM_MR + 1][2] = {
  {NULL, NULL},
  {tile_1x1, tile_1x2}, {tile_2x1, tile_2x2}, {tile_3x1, tile_3x2},
  {tile_4x1, tile_4x2}, {tile_5x1, tile_5x2}, {tile_6x1, tile_6x2},
  {tile_7x1, tile_7x2}, {tile_8x1, tile_8x2}, {tile_9x1, tile_9x2},
  {tile_10x1, tile_10x2}, {tile_11x1, tile_11x2}, {tile_12x1, tile_12x2},
};
/* *INDENT-ON* */

/* Copies a K block of one column panel of B into `panel`, rows NR apart:
 * B's rows may be pages apart (N = 3136 on the 56x56 layers), which would
 * cost a TLB miss per row on every pass of the micro-kernel. */
static TARGET void
pack_panel (const gfloat * b, gint64 ldb, gint64 kc, gint nv,
    __mmask16 mask, gfloat * panel)
{
  for (gint64 k = 0; k < kc; k++, b += ldb, panel += SGEMM_NR) {
    if (nv == 2) {
      _mm512_store_ps (panel, _mm512_loadu_ps (b));
      _mm512_store_ps (panel + 16, _mm512_maskz_loadu_ps (mask, b + 16));
    } else {
      _mm512_store_ps (panel, _mm512_maskz_loadu_ps (mask, b));
    }
  }
}

/* Whether B's rows are read through a packed copy.  Rows a few KiB apart
 * at most are read in place; further apart, every row of a panel costs a
 * TLB miss, and strides of an even number of cache lines fold a panel onto
 * a fraction of the L1 sets. */
static inline gboolean
needs_pack (gint64 ldb)
{
  return ldb > SGEMM_NOPACK_LDB || (ldb % 16 == 0 && (ldb / 16) % 2 == 0);
}

/* One K block of one column panel, all row blocks. */
static inline void
column_panel (const GnetSgemm * g, Tile * t, gint64 p, gint64 j, gint64 cols,
    gint64 m0, gint64 m1, gfloat * panel)
{
  gint nv = cols > 16 ? 2 : 1;
  gint64 lanes = cols - 16 * (nv - 1);
  /* Rows in blocks of equal size (64 as 4 x 11 + 2 x 10, not 5 x 12 + 4):
   * a block of a few rows runs at a fraction of the speed of a full one. */
  gint64 blocks = (m1 - m0 + SGEMM_MR - 1) / SGEMM_MR;

  t->mask = (__mmask16) ((1u << lanes) - 1);
  if (!needs_pack (g->ldb)) {
    t->b = g->b + p * g->ldb + j;
    t->ldb = g->ldb;
  } else {
    pack_panel (g->b + p * g->ldb + j, g->ldb, t->kc, nv, t->mask, panel);
    t->b = panel;
    t->ldb = SGEMM_NR;
  }
  for (gint64 bi = 0, i = m0; bi < blocks; bi++) {
    gint mr = (gint) ((m1 - m0) * (bi + 1) / blocks - (i - m0));

    t->a = g->a + i * g->k + p;
    t->c = g->c + i * g->ldc + j;
    t->bias = g->bias ? g->bias + i : NULL;
    tile_funcs[mr][nv - 1] (t);
    i += mr;
  }
}

void
gnet__sgemm (const GnetSgemm * g, gint64 m0, gint64 m1, gint64 n0, gint64 n1)
{
  /* K blocks of equal size: 576 as 2 x 288, not 256 + 256 + 64, since each
   * block stores and reloads the C tile. */
  gint64 kblocks = (g->k + SGEMM_KC - 1) / SGEMM_KC;
  gint64 kc = (g->k + kblocks - 1) / kblocks;
  gint64 nc;
  gfloat panel[SGEMM_KC * SGEMM_NR] __attribute__ ((aligned (64)));
  Tile t;

  t.lda = g->k;
  t.ldc = g->ldc;
  t.relu = g->relu;
  /* Column blocks small enough that their part of C stays in L2 across
   * the K blocks. */
  nc = MAX (SGEMM_NR, (SGEMM_C_BYTES / (gint64) sizeof (gfloat) / MAX (m1 - m0,
              1)) / SGEMM_NR * SGEMM_NR);
  for (gint64 jc = n0; jc < n1; jc += nc) {
    gint64 jend = MIN (jc + nc, n1);

    for (gint64 p = 0; p < g->k; p += kc) {
      t.kc = MIN (kc, g->k - p);
      t.first = p == 0;
      t.last = p + t.kc == g->k;
      for (gint64 j = jc; j < jend; j += SGEMM_NR)
        column_panel (g, &t, p, j, MIN (SGEMM_NR, jend - j), m0, m1, panel);
    }
  }
}

#else /* !SGEMM_X86 */

void
gnet__sgemm (const GnetSgemm * g, gint64 m0, gint64 m1, gint64 n0, gint64 n1)
{
  /* Never called: gnet__sgemm_available () is FALSE. */
  (void) g;
  (void) m0;
  (void) m1;
  (void) n0;
  (void) n1;
}

#endif
