/* BatchNorm followed by ReLU, for training: bfloat16 activations,
 * channels-last (M rows of C channels, M = N x H x W), float32 scale,
 * shift and statistics.
 *
 * In PyTorch 1.13 the two are four kernels over the activations in
 * bfloat16 (batch norm forward and backward, ReLU and its backward), a
 * quarter of a training step of model.GoogLeNet on this machine's CPUs.
 * These do the same in two passes over the activations each way (three
 * for the forward's statistics: the variance is taken about the mean, as
 * PyTorch's CPU kernel does).  Loaded by
 * fastops.py with ctypes; training only, not part of libgnet. */

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "bf16.h"

/* The kernels walk the activations in chunks of whole rows, about CHUNK
 * values long, with each per-channel factor repeated along the chunk, so
 * every inner loop runs over thousands of values however few channels
 * there are (C is 20 to 400 here).  Sums are kept per position of the
 * chunk in float and folded into per-channel doubles at the end. */
#define CHUNK 2048

static long
chunk_rows (int c)
{
  return c >= CHUNK ? 1 : CHUNK / c;
}

/* rep[r * c + ch] = v[ch] for the rows of a chunk */
static void
repeat (float *restrict rep, const float *restrict v, long rows, int c)
{
  for (long r = 0; r < rows; r++)
    for (int ch = 0; ch < c; ch++)
      rep[r * c + ch] = v[ch];
}

/* out[ch] = the sum over a chunk's rows of acc[r * c + ch] */
static void
fold (double *restrict out, const float *restrict acc, long rows, int c)
{
  for (int ch = 0; ch < c; ch++)
    out[ch] = 0.0;
  for (long r = 0; r < rows; r++)
    for (int ch = 0; ch < c; ch++)
      out[ch] += acc[r * c + ch];
}

/* Forward.  With batch_stats, mean and var (biased) are computed from x
 * and written; otherwise they are read (the running statistics).  invstd
 * is written.  y = max (0, (x - mean) * invstd * gamma + beta) in
 * bfloat16.  scratch: 4 x max (CHUNK, c) floats and c doubles. */
void
fastbn_forward (const uint16_t * x, uint16_t * y, long m, int c,
    const float *gamma, const float *beta, float *mean, float *var,
    float *invstd, int batch_stats, double eps, float *scratch,
    double *dscratch)
{
  long rows = chunk_rows (c), len = rows * c, total = m * c;
  long width = CHUNK > c ? CHUNK : c;
  float *acc = scratch, *centre = scratch + width;
  float *scale = scratch + 2 * width, *shift = scratch + 3 * width;

  if (batch_stats) {
    for (long e = 0; e < len; e++)
      acc[e] = 0.0f;
    for (long e0 = 0; e0 < total; e0 += len) {
      long n = total - e0 < len ? total - e0 : len;
      const uint16_t *restrict xc = x + e0;
      for (long e = 0; e < n; e++)
        acc[e] += bf16_to_float (xc[e]);
    }
    fold (dscratch, acc, rows, c);
    for (int ch = 0; ch < c; ch++)
      mean[ch] = (float) (dscratch[ch] / (double) m);
    repeat (centre, mean, rows, c);
    for (long e = 0; e < len; e++)
      acc[e] = 0.0f;
    for (long e0 = 0; e0 < total; e0 += len) {
      long n = total - e0 < len ? total - e0 : len;
      const uint16_t *restrict xc = x + e0;
      for (long e = 0; e < n; e++) {
        float d = bf16_to_float (xc[e]) - centre[e];
        acc[e] += d * d;
      }
    }
    fold (dscratch, acc, rows, c);
    for (int ch = 0; ch < c; ch++)
      var[ch] = (float) (dscratch[ch] / (double) m);
  }
  for (int ch = 0; ch < c; ch++) {
    invstd[ch] = (float) (1.0 / sqrt ((double) var[ch] + eps));
    acc[ch] = gamma[ch] * invstd[ch];
    centre[ch] = beta[ch] - mean[ch] * acc[ch];
  }
  repeat (scale, acc, rows, c);
  repeat (shift, centre, rows, c);
  for (long e0 = 0; e0 < total; e0 += len) {
    long n = total - e0 < len ? total - e0 : len;
    const uint16_t *restrict xc = x + e0;
    uint16_t *restrict yc = y + e0;
    for (long e = 0; e < n; e++) {
      float v = bf16_to_float (xc[e]) * scale[e] + shift[e];
      yc[e] = float_to_bf16 (v > 0.0f ? v : 0.0f);
    }
  }
}

/* Backward.  y is the forward's output: the gradient passes where y > 0
 * (y is +0 or -0 elsewhere), as ReLU's does.  dgamma and dbeta are
 * written (float, c).  With batch_stats the gradient also flows through
 * the batch's mean and variance:
 *   gx = gamma * invstd * (g - mean (g) - xhat * mean (g * xhat)).
 * scratch: 7 x max (CHUNK, c) floats and 2 x c doubles. */
void
fastbn_backward (const uint16_t * gy, const uint16_t * x, const uint16_t * y,
    uint16_t * gx, long m, int c, const float *gamma, const float *mean,
    const float *invstd, int batch_stats, float *dgamma, float *dbeta,
    float *scratch, double *dscratch)
{
  long rows = chunk_rows (c), len = rows * c, total = m * c;
  long width = CHUNK > c ? CHUNK : c;
  float *ag = scratch, *agx = scratch + width, *mu = scratch + 2 * width;
  float *is = scratch + 3 * width, *k = scratch + 4 * width;
  float *mg = scratch + 5 * width, *a = scratch + 6 * width;
  double *sg = dscratch, *sgx = dscratch + c;

  repeat (mu, mean, rows, c);
  repeat (is, invstd, rows, c);
  for (long e = 0; e < len; e++)
    ag[e] = agx[e] = 0.0f;
  for (long e0 = 0; e0 < total; e0 += len) {
    long n = total - e0 < len ? total - e0 : len;
    const uint16_t *restrict gc = gy + e0;
    const uint16_t *restrict xc = x + e0;
    const uint16_t *restrict yc = y + e0;
    for (long e = 0; e < n; e++) {
      float g = bf16_to_float ((yc[e] & 0x7fff) ? gc[e] : 0);
      float xh = (bf16_to_float (xc[e]) - mu[e]) * is[e];
      ag[e] += g;
      agx[e] += g * xh;
    }
  }
  fold (sg, ag, rows, c);
  fold (sgx, agx, rows, c);
  for (int ch = 0; ch < c; ch++) {
    dbeta[ch] = (float) sg[ch];
    dgamma[ch] = (float) sgx[ch];
    ag[ch] = gamma[ch] * invstd[ch];
    agx[ch] = batch_stats ? (float) (sgx[ch] / (double) m) : 0.0f;
    /* dbeta is done with sg: it holds mean (g) from here on */
    sg[ch] = batch_stats ? sg[ch] / (double) m : 0.0;
  }
  repeat (k, ag, rows, c);
  repeat (a, agx, rows, c);
  for (int ch = 0; ch < c; ch++)
    ag[ch] = (float) sg[ch];
  repeat (mg, ag, rows, c);
  for (long e0 = 0; e0 < total; e0 += len) {
    long n = total - e0 < len ? total - e0 : len;
    const uint16_t *restrict gc = gy + e0;
    const uint16_t *restrict xc = x + e0;
    const uint16_t *restrict yc = y + e0;
    uint16_t *restrict out = gx + e0;
    for (long e = 0; e < n; e++) {
      float g = bf16_to_float ((yc[e] & 0x7fff) ? gc[e] : 0);
      float xh = (bf16_to_float (xc[e]) - mu[e]) * is[e];
      out[e] = float_to_bf16 (k[e] * (g - mg[e] - xh * a[e]));
    }
  }
}
