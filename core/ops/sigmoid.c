/* sigmoid.c - Sigmoid: 1 / (1 + exp(-x)), float32, strided output. */
#include "ops.h"

#include <math.h>

static void
sigmoid_forward (const GnetNode * node, const GnetView * in, GnetView * out,
    gpointer scratch)
{
  gint64 nb, item, bstride;

  gnet__out_items (&out[0], &nb, &item, &bstride);
  for (gint64 b = 0; b < nb; b++) {
    const gfloat *x = (const gfloat *) in[0].data + b * item;
    gfloat *y = (gfloat *) out[0].data + b * bstride;

    for (gint64 i = 0; i < item; i++)
      y[i] = 1.0f / (1.0f + expf (-x[i]));
  }
}

const GnetOp gnet__op_sigmoid = {
  .type = "Sigmoid",
  .min_opset = 6,
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 1,
  .flags = GNET_OP_STRIDED_OUTPUT,
  .infer = gnet__infer_unary_float,
  .forward = sigmoid_forward,
};
