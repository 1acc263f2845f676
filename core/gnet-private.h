/* gnet-private.h - what the files of libgnet share and nobody else sees.
 *
 * Internal cross-file functions are named gnet__<name>; everything else is
 * static to its file.
 */
#ifndef GNET_PRIVATE_H
#define GNET_PRIVATE_H

#include "gnet.h"

#include <string.h>

G_BEGIN_DECLS

#define GNET_ALIGN 64

/* ------------------------------------------------------------------------ */
/* Graph                                                                    */
/* ------------------------------------------------------------------------ */

typedef enum
{
  GNET_ATTR_FLOAT,
  GNET_ATTR_INT,
  GNET_ATTR_STRING,
  GNET_ATTR_FLOATS,
  GNET_ATTR_INTS,
  GNET_ATTR_TENSOR,
  GNET_ATTR_OTHER,              /* graphs, sparse tensors, ...: never read */
  GNET_ATTR_COUNT
} GnetAttrType;

typedef struct
{
  gchar *name;
  GnetAttrType type;
  gfloat f;
  gint64 i;
  gchar *s;
  guint n;                      /* count of floats / ints */
  gfloat *floats;
  gint64 *ints;
  gint tensor;                  /* GNET_ATTR_TENSOR: value index (constant) */
} GnetAttr;

/* A named tensor of the graph: graph input, initializer/constant, or the
 * output of a node. */
typedef struct
{
  gchar *name;
  GnetDType dtype;
  guint ndim;
  gint64 dims[GNET_MAX_DIMS];   /* declared (-1 unknown); exact for consts */
  gpointer data;                /* constants only; owned by the model */
  gboolean is_const;
  gint input_index;             /* position among graph inputs, or -1 */
  gint producer;                /* node index, or -1 */
  guint n_consumers;            /* node inputs + graph outputs using it */
} GnetValue;

typedef struct _GnetOp GnetOp;

typedef struct
{
  gchar *name;                  /* the ONNX node name, or "<op>_<index>" */
  gchar *op_type;
  const GnetOp *op;
  gint64 opset;                 /* of the node's domain */
  guint n_inputs;
  gint *inputs;                 /* value indices; -1 = optional, omitted */
  guint n_outputs;
  gint *outputs;                /* value indices; -1 = optional, omitted */
  guint n_attrs;
  GnetAttr *attrs;
  gpointer params;              /* op->params_size bytes, filled by init */
  /* Load-time fusion: apply max(0, x) after the op (Conv, Gemm, Add). */
  gboolean fuse_relu;
  gboolean removed;             /* folded into another node */
} GnetNode;

struct _GnetModel
{
  gint ref_count;
  gchar *name;                  /* file name for messages */
  gint64 opset;                 /* default ("" / ai.onnx) domain */
  GPtrArray *values;            /* GnetValue*, owned */
  GHashTable *value_index;      /* name -> GINT_TO_POINTER (index + 1) */
  GPtrArray *nodes;             /* GnetNode*, owned, topological order */
  GArray *inputs;               /* gint value index, non-constant inputs */
  GArray *outputs;              /* gint value index */
  gchar **meta_keys;            /* NULL-terminated */
  gchar **meta_values;
  guint64 n_params;
};

GnetModel *gnet__model_new (const gchar * name);
void gnet__model_reindex (GnetModel * model);
gint gnet__model_add_const (GnetModel * model, const gchar * name,
    GnetTensor * t);
/* Value lookup by name; -1 if absent. */
gint gnet__model_find_value (const GnetModel * model, const gchar * name);
static inline GnetValue *
gnet__model_value (const GnetModel * model, gint index)
{
  return (GnetValue *) g_ptr_array_index (model->values, index);
}

static inline GnetNode *
gnet__model_node (const GnetModel * model, gint index)
{
  return (GnetNode *) g_ptr_array_index (model->nodes, index);
}

/* Attribute access for operator init functions.  Absent attributes give the
 * default; an attribute of the wrong type is a GNET_ERROR_ATTRIBUTE error
 * naming the attribute.  Lists are owned by the node. */
const GnetAttr *gnet__node_attr (const GnetNode * node, const gchar * name);
gboolean gnet__attr_int (const GnetNode * node, const gchar * name,
    gint64 def, gint64 * out, GError ** error);
gboolean gnet__attr_float (const GnetNode * node, const gchar * name,
    gfloat def, gfloat * out, GError ** error);
gboolean gnet__attr_string (const GnetNode * node, const gchar * name,
    const gchar * def, const gchar ** out, GError ** error);
/* *n = 0 and *out = NULL when absent. */
gboolean gnet__attr_ints (const GnetNode * node, const gchar * name,
    const gint64 ** out, guint * n, GError ** error);
gboolean gnet__attr_floats (const GnetNode * node, const gchar * name,
    const gfloat ** out, guint * n, GError ** error);

/* ------------------------------------------------------------------------ */
/* Operators                                                                */
/* ------------------------------------------------------------------------ */

/* A tensor as an operator sees it at run time.  Inputs are always dense.
 * Outputs are dense too, except that an op with GNET_OP_STRIDED_OUTPUT may be
 * asked to write a 4-D (or any rank >= 2) output whose consecutive batch
 * items lie `batch_stride` elements apart (its slice of a Concat output along
 * axis 1).  batch_stride is always set; dense means numel / dims[0]. */
typedef struct
{
  GnetDType dtype;
  guint ndim;
  gint64 dims[GNET_MAX_DIMS];
  gpointer data;
  gint64 batch_stride;
  gboolean is_const;            /* infer: data holds the constant's value */
} GnetView;

typedef struct
{
  gsize scratch_bytes;          /* shared scratch the forward pass needs */
  guint64 macs;                 /* multiply-accumulates of one run */
} GnetOpCost;

typedef enum
{
  GNET_OP_STRIDED_OUTPUT = 1 << 0,      /* honours out[0].batch_stride */
  GNET_OP_VIEW = 1 << 1,        /* out[0] is in[0] with other dims: no copy */
} GnetOpFlags;

struct _GnetOp
{
  const gchar *type;            /* ONNX op_type */
  gint64 min_opset;             /* first opset whose semantics we implement */
  gsize params_size;
  guint min_inputs, max_inputs;
  guint min_outputs, max_outputs;
  guint flags;
  /* Read and check attributes into `params` (zeroed, params_size bytes).
   * Called once at load.  May be NULL when the op has no attributes. */
  gboolean (*init) (const GnetNode * node, gpointer params, GError ** error);
  /* Shape inference: inputs have dtype and dims (data only when is_const,
   * or int64 graph inputs given at plan time); set dtype, ndim and dims of
   * every present output.  Fill cost.  Errors name the reason only; the
   * caller prefixes file, node name and op type. */
  gboolean (*infer) (const GnetNode * node, const GnetView * in,
      GnetView * out, GnetOpCost * cost, GError ** error);
  /* The computation.  Cannot fail.  `scratch` has cost.scratch_bytes. */
  void (*forward) (const GnetNode * node, const GnetView * in,
      GnetView * out, gpointer scratch);
};

const GnetOp *gnet__op_lookup (const gchar * op_type);
/* NULL-terminated list of every implemented operator. */
const GnetOp *const *gnet__op_list (void);

/* Helpers for op files. */
static inline gint64
gnet__view_numel (const GnetView * v)
{
  gint64 n = 1;
  for (guint i = 0; i < v->ndim; i++)
    n *= v->dims[i];
  return n;
}

/* Computes output size and begin/end pads for one spatial axis following
 * ONNX conv/pool rules (explicit pads, auto_pad SAME_UPPER/SAME_LOWER/VALID,
 * ceil_mode).  Returns FALSE with an error for a non-positive output. */
typedef enum
{
  GNET_AUTO_PAD_NOTSET,
  GNET_AUTO_PAD_SAME_UPPER,
  GNET_AUTO_PAD_SAME_LOWER,
  GNET_AUTO_PAD_VALID,
  GNET_AUTO_PAD_COUNT
} GnetAutoPad;

gboolean gnet__parse_auto_pad (const GnetNode * node, GnetAutoPad * out,
    GError ** error);

/* ------------------------------------------------------------------------ */
/* Sessions                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct
{
  const GnetNode *node;
  GnetView *in;                 /* node->n_inputs views */
  GnetView *out;                /* node->n_outputs views */
  gboolean skip;                /* elided: views or an in-place Concat */
} GnetStep;

struct _GnetSession
{
  GnetModel *model;
  gint n_threads;
  gint blas_threads;            /* OpenBLAS's threads during a run */
  guint n_outputs;
  gint *output_values;          /* value index of each session output */
  GnetTensor *outputs;          /* what gnet_session_get_output returns */
  GArray *needed;               /* guint node indices to run, in order */

  /* The plan: valid when planned is TRUE. */
  gboolean planned;
  GnetTensor *plan_inputs;      /* shapes (and int64 data) planned for */
  GnetView *views;              /* one per model value */
  GnetStep *steps;
  guint n_steps;
  guint8 *arena;
  gsize arena_size;
  gpointer scratch;
  gsize scratch_size;
  guint64 macs;
  guint n_plans;
};

/* Thread count of the session running in the calling thread (0: none). */
extern __thread gint gnet__run_threads;

gboolean gnet__session_plan (GnetSession * session,
    const GnetTensor * inputs, guint n_inputs, GError ** error);
void gnet__session_clear_plan (GnetSession * session);
/* How many parts the session's operators split their work into from now
 * on (the plan does not depend on it). */
/* Parts the session's operators split their work into, and the threads
 * OpenBLAS may use meanwhile (a detector's lanes split a level's layers
 * with the helping lane, but keep OpenBLAS to one thread). */
void gnet__session_set_n_threads (GnetSession * session, gint n_threads,
    gint blas_threads);

/* ------------------------------------------------------------------------ */
/* Worker pool for the operators (parallel.c)                               */
/* ------------------------------------------------------------------------ */

/* Part `index` of `n` of a forward pass's work. */
typedef void (*GnetParallelFunc) (gpointer data, guint index, guint n);

/* Runs func (data, i, n) for every i in [0, n), in parallel on a persistent
 * pool of threads (part 0 in the calling thread), and returns when all are
 * done.  Creates no thread after the first calls and allocates nothing;
 * when another session is using the pool, the parts run in the caller. */
void gnet__parallel_run (guint n, GnetParallelFunc func, gpointer data);
/* The same, for parts that split their own work in turn (the detector's
 * lanes): a part's gnet__parallel_run () is helped by the threads that
 * have finished their parts of this run. */
void gnet__parallel_run_helped (guint n, GnetParallelFunc func,
    gpointer data);

/* ------------------------------------------------------------------------ */
/* Loading internals                                                        */
/* ------------------------------------------------------------------------ */

/* Runs the load-time graph rewrites: BatchNormalization folded into Conv,
 * Relu fused into Conv/Gemm, Dropout/Identity left as views. */
gboolean gnet__model_optimize (GnetModel * model, GError ** error);

/* The same tensor readers the CLI uses, on a TensorProto already parsed
 * (void* to keep protobuf-c out of this header). */
gboolean gnet__tensor_from_proto (const void *tensor_proto,
    const gchar * what, GnetTensor * out, GError ** error);

G_END_DECLS
#endif /* GNET_PRIVATE_H */
