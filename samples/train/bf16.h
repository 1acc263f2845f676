/* bfloat16 <-> float for the training kernels (fastpool.c, fastbn.c). */

#ifndef GNET_TRAIN_BF16_H
#define GNET_TRAIN_BF16_H

#include <stdint.h>

static inline float
bf16_to_float (uint16_t v)
{
  union
  {
    uint32_t u;
    float f;
  } x;
  x.u = (uint32_t) v << 16;
  return x.f;
}

/* Rounded to the nearest, ties to even; a NaN stays a (quiet) NaN. */
static inline uint16_t
float_to_bf16 (float f)
{
  union
  {
    uint32_t u;
    float f;
  } x;
  x.f = f;
  if ((x.u & 0x7f800000u) == 0x7f800000u && (x.u & 0x007fffffu))
    return (uint16_t) ((x.u >> 16) | 0x40);     /* quiet NaN */
  x.u += 0x7fffu + ((x.u >> 16) & 1u);  /* round to nearest even */
  return (uint16_t) (x.u >> 16);
}

#endif /* GNET_TRAIN_BF16_H */
