/* registry.c - the operators libgnet implements, looked up by op_type. */
#include "ops.h"

/* Alphabetical; the list is short enough for a linear search at load. */
static const GnetOp *const ops[] = {
  &gnet__op_add,
  &gnet__op_averagepool,
  &gnet__op_batchnorm,
  &gnet__op_clip,
  &gnet__op_concat,
  &gnet__op_constant,
  &gnet__op_conv,
  &gnet__op_dropout,
  &gnet__op_flatten,
  &gnet__op_gemm,
  &gnet__op_globalaveragepool,
  &gnet__op_identity,
  &gnet__op_lrn,
  &gnet__op_matmul,
  &gnet__op_maxpool,
  &gnet__op_relu,
  &gnet__op_reshape,
  &gnet__op_sigmoid,
  &gnet__op_softmax,
  NULL
};

const GnetOp *
gnet__op_lookup (const gchar * op_type)
{
  g_return_val_if_fail (op_type != NULL, NULL);

  for (guint i = 0; ops[i]; i++)
    if (g_strcmp0 (ops[i]->type, op_type) == 0)
      return ops[i];
  return NULL;
}

const GnetOp *const *
gnet__op_list (void)
{
  return ops;
}
