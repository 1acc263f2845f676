/* Max-pooling for training: bfloat16, channels-last (NHWC), 3x3 windows.
 *
 * PyTorch 1.13's own kernel for this case (max_pool2d_with_indices and its
 * backward) is a quarter of a training step of model.GoogLeNet on this
 * machine's CPUs.  This one walks the window one offset at a time over a
 * whole image, so its loops run over all the outputs of a row and their
 * channels at once and vectorise; it compares bfloat16 bit patterns as
 * 16-bit integer keys, keeps the index of each maximum (0..8, row-major in
 * the window) in 16 bits, and sums the backward pass in float, rounding
 * once per input.  Loaded by fastops.py with ctypes; training only, not
 * part of libgnet.
 *
 * Semantics are PyTorch's: padding never wins, the first maximum in the
 * window's row-major order wins ties (-0 equals +0, and comes out as +0),
 * a NaN wins (the first NaN; PyTorch's kernel keeps the last). */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "bf16.h"

#define K 3

/* bfloat16 bits as a signed 16-bit key that orders as the values do:
 * negative values have their magnitude bits flipped, -0 is +0, and a NaN
 * is above everything. */
static inline int16_t
to_key (uint16_t v)
{
  int16_t s = (int16_t) v;
  s = (int16_t) (s ^ ((s >> 15) & 0x7fff));
  s = s == -1 ? 0 : s;
  return (v & 0x7fff) > 0x7f80 ? INT16_MAX : s;
}

/* The bfloat16 bits of a key (a NaN's key gives a NaN). */
static inline uint16_t
from_key (int16_t k)
{
  return (uint16_t) (k ^ ((k >> 15) & 0x7fff));
}

/* One stretch of a window offset's work in an image: len values of the
 * input from element in, paired with len values of the output from
 * element out, all for window offset k. */
typedef struct
{
  size_t in, out;
  int len;
  uint16_t k;
} Run;

/* The runs of every window offset (ki, kj), in row-major order of the
 * offsets (so the first maximum wins ties), for one image: for each output
 * row, the outputs j whose window's column kj falls inside the input
 * (0 <= j * stride - pad + kj < w).  With stride 1 those outputs and
 * their inputs are contiguous, one run a row; otherwise one run an
 * output.  Returns a malloc'd array (count in *n_runs), or NULL. */
static Run *
plan_runs (int h, int w, int c, int oh, int ow, int stride, int pad,
    size_t *n_runs)
{
  Run *runs = malloc ((size_t) K * K * oh * ow * sizeof *runs);
  size_t n = 0;

  if (!runs)
    return NULL;
  for (int ki = 0; ki < K; ki++) {
    for (int kj = 0; kj < K; kj++) {
      int lo = pad - kj;        /* j * stride >= lo */
      int hi = w - 1 + pad - kj;        /* j * stride <= hi */
      int j0 = lo <= 0 ? 0 : (lo + stride - 1) / stride;
      int j1 = hi < 0 ? -1 : hi / stride;
      if (j1 > ow - 1)
        j1 = ow - 1;
      for (int i = 0; i < oh && j0 <= j1; i++) {
        int row = i * stride - pad + ki;
        if (row < 0 || row >= h)
          continue;
        int step = stride == 1 ? j1 - j0 + 1 : 1;
        for (int j = j0; j <= j1; j += step) {
          runs[n].in = ((size_t) row * w + j * stride - pad + kj) * c;
          runs[n].out = ((size_t) i * ow + j) * c;
          runs[n].len = step * c;
          runs[n].k = (uint16_t) (ki * K + kj);
          n++;
        }
      }
    }
  }
  *n_runs = n;
  return runs;
}

/* Forward: x is N x H x W x C, y and idx are N x OH x OW x C.  The window
 * is walked one offset (ki, kj) at a time over a whole image, so the inner
 * loop runs over all the outputs of a row and their channels at once.
 * Returns 0, or -1 when out of memory. */
int
fastpool_forward (const uint16_t * x, uint16_t * y, uint16_t * idx, int n,
    int h, int w, int c, int oh, int ow, int stride, int pad)
{
  size_t plane = (size_t) oh * ow * c, n_runs;
  Run *runs = plan_runs (h, w, c, oh, ow, stride, pad, &n_runs);

  if (!runs)
    return -1;
  for (int b = 0; b < n; b++) {
    const uint16_t *xb = x + (size_t) b * h * w * c;
    int16_t *best = (int16_t *) y + b * plane;
    uint16_t *ib = idx + b * plane;
    for (size_t e = 0; e < plane; e++) {
      best[e] = INT16_MIN;
      ib[e] = 0;
    }
    for (size_t r = 0; r < n_runs; r++) {
      const uint16_t *restrict xi = xb + runs[r].in;
      int16_t *restrict bo = best + runs[r].out;
      uint16_t *restrict io = ib + runs[r].out;
      uint16_t k = runs[r].k;
      for (int e = 0; e < runs[r].len; e++) {
        int16_t v = to_key (xi[e]);
        int take = v > bo[e];
        bo[e] = take ? v : bo[e];
        io[e] = take ? k : io[e];
      }
    }
    for (size_t e = 0; e < plane; e++)
      best[e] = (int16_t) from_key (best[e]);
  }
  free (runs);
  return 0;
}

/* Backward: gy and idx are N x OH x OW x C, gx is N x H x W x C; acc is
 * scratch for one image's H x W x C sums.  Each input sums the gradients
 * of the outputs whose maximum it was, in float, rounded once.  Returns 0,
 * or -1 when out of memory. */
int
fastpool_backward (const uint16_t * gy, const uint16_t * idx, uint16_t * gx,
    float *acc, int n, int h, int w, int c, int oh, int ow, int stride, int pad)
{
  size_t plane = (size_t) oh * ow * c, in_plane = (size_t) h *w * c, n_runs;
  Run *runs = plan_runs (h, w, c, oh, ow, stride, pad, &n_runs);

  if (!runs)
    return -1;
  for (int b = 0; b < n; b++) {
    const uint16_t *gb = gy + b * plane;
    const uint16_t *ib = idx + b * plane;
    for (size_t e = 0; e < in_plane; e++)
      acc[e] = 0.0f;
    for (size_t r = 0; r < n_runs; r++) {
      float *restrict a = acc + runs[r].in;
      const uint16_t *restrict g = gb + runs[r].out;
      const uint16_t *restrict io = ib + runs[r].out;
      uint16_t k = runs[r].k;
      for (int e = 0; e < runs[r].len; e++)
        a[e] += bf16_to_float (io[e] == k ? g[e] : 0);
    }
    uint16_t *out = gx + b * in_plane;
    for (size_t e = 0; e < in_plane; e++)
      out[e] = float_to_bf16 (acc[e]);
  }
  free (runs);
  return 0;
}
