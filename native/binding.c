/* N-API glue for kernels.c: unwraps typed arrays zero-copy and forwards to the C kernels.
 * Argument order matches src/engine/kernels/types.ts. Shapes are checked on the TypeScript
 * side (src/engine/kernels/native.ts); here we only refuse wrong argument types. */
#define NAPI_VERSION 8
#include <node_api.h>
#include <cblas.h>
#include <stdint.h>
#include <stdlib.h>

#include "kernels.h"
#include "quantized.h"
#ifdef PROMPTUNE_OPENMP
#include <omp.h>
#endif

#define MAX_ARGS 18
#define CHECK(call)                                                    \
  do {                                                                 \
    if ((call) != napi_ok) {                                           \
      napi_throw_error(env, "PROMPTUNE_NATIVE", "N-API call failed");   \
      return NULL;                                                     \
    }                                                                  \
  } while (0)

typedef struct {
  napi_env env;
  napi_value argv[MAX_ARGS];
  size_t argc;
  int failed;
} Args;

static int read_args(napi_env env, napi_callback_info info, Args *args, size_t expected) {
  args->env = env;
  args->argc = MAX_ARGS;
  args->failed = 0;
  if (napi_get_cb_info(env, info, &args->argc, args->argv, NULL, NULL) != napi_ok || args->argc < expected) {
    napi_throw_type_error(env, "PROMPTUNE_NATIVE_ARGS", "wrong number of arguments to a native kernel");
    return 0;
  }
  return 1;
}

static void *typed(Args *args, size_t index, napi_typedarray_type want, int nullable) {
  if (args->failed) return NULL;
  napi_env env = args->env;
  napi_valuetype kind;
  napi_typeof(env, args->argv[index], &kind);
  if (nullable && (kind == napi_null || kind == napi_undefined)) return NULL;
  bool is_typed = false;
  napi_is_typedarray(env, args->argv[index], &is_typed);
  napi_typedarray_type type;
  size_t length, offset;
  void *data = NULL;
  napi_value buffer;
  if (!is_typed || napi_get_typedarray_info(env, args->argv[index], &type, &length, &data, &buffer, &offset) !=
                       napi_ok || type != want) {
    napi_throw_type_error(env, "PROMPTUNE_NATIVE_ARGS", "native kernel argument has the wrong typed-array type");
    args->failed = 1;
    return NULL;
  }
  return data;
}

static float *f32(Args *args, size_t index) { return typed(args, index, napi_float32_array, 0); }
static float *f32_or_null(Args *args, size_t index) { return typed(args, index, napi_float32_array, 1); }
static int32_t *i32(Args *args, size_t index) { return typed(args, index, napi_int32_array, 0); }
static int32_t *i32_or_null(Args *args, size_t index) { return typed(args, index, napi_int32_array, 1); }
static uint8_t *u8_or_null(Args *args, size_t index) { return typed(args, index, napi_uint8_array, 1); }
static uint8_t *u8(Args *args, size_t index) { return typed(args, index, napi_uint8_array, 0); }

static int integer(Args *args, size_t index) {
  int32_t value = 0;
  if (!args->failed && napi_get_value_int32(args->env, args->argv[index], &value) != napi_ok) {
    napi_throw_type_error(args->env, "PROMPTUNE_NATIVE_ARGS", "native kernel expected an integer");
    args->failed = 1;
  }
  return value;
}

static float number(Args *args, size_t index) {
  double value = 0;
  if (!args->failed && napi_get_value_double(args->env, args->argv[index], &value) != napi_ok) {
    napi_throw_type_error(args->env, "PROMPTUNE_NATIVE_ARGS", "native kernel expected a number");
    args->failed = 1;
  }
  return (float)value;
}

/* a number read whole (a probability, a position), not rounded to float */
static double real(Args *args, size_t index) {
  double value = 0;
  if (!args->failed && napi_get_value_double(args->env, args->argv[index], &value) != napi_ok) {
    napi_throw_type_error(args->env, "PROMPTUNE_NATIVE_ARGS", "native kernel expected a number");
    args->failed = 1;
  }
  return value;
}

/* gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) */
static napi_value js_gemm(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 13)) return NULL;
  int trans_a = integer(&a, 0), trans_b = integer(&a, 1), m = integer(&a, 2), n = integer(&a, 3), k = integer(&a, 4);
  float alpha = number(&a, 5), beta = number(&a, 10);
  float *pa = f32(&a, 6), *pb = f32(&a, 8), *pc = f32(&a, 11);
  int lda = integer(&a, 7), ldb = integer(&a, 9), ldc = integer(&a, 12);
  if (a.failed) return NULL;
  gemm(trans_a, trans_b, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
  return NULL;
}

/* matmulForward(out, inp, weight, bias|null, n, inFeatures, outFeatures) */
static napi_value js_matmul_forward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 7)) return NULL;
  float *out = f32(&a, 0), *inp = f32(&a, 1), *weight = f32(&a, 2), *bias = f32_or_null(&a, 3);
  int n = integer(&a, 4), in_features = integer(&a, 5), out_features = integer(&a, 6);
  if (a.failed) return NULL;
  matmul_forward(out, inp, weight, bias, n, in_features, out_features);
  return NULL;
}

/* embeddingForward(out, ids, table, n, channels) */
static napi_value js_embedding_forward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 5)) return NULL;
  float *out = f32(&a, 0), *table = f32(&a, 2);
  int32_t *ids = i32(&a, 1);
  int n = integer(&a, 3), channels = integer(&a, 4);
  if (a.failed) return NULL;
  embedding_forward(out, ids, table, n, channels);
  return NULL;
}

/* rmsnormForward(out, rstd|null, inp, weight, n, channels, eps) */
static napi_value js_rmsnorm_forward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 7)) return NULL;
  float *out = f32(&a, 0), *rstd = f32_or_null(&a, 1), *inp = f32(&a, 2), *weight = f32(&a, 3);
  int n = integer(&a, 4), channels = integer(&a, 5);
  float eps = number(&a, 6);
  if (a.failed) return NULL;
  rmsnorm_forward(out, rstd, inp, weight, n, channels, eps);
  return NULL;
}

/* ropeForward(out, inp, cosines, sines, n, heads, headDim, rotaryDims, interleaved) */
static napi_value js_rope_forward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 9)) return NULL;
  float *out = f32(&a, 0), *inp = f32(&a, 1), *cosines = f32(&a, 2), *sines = f32(&a, 3);
  int n = integer(&a, 4), heads = integer(&a, 5), head_dim = integer(&a, 6), rotary_dims = integer(&a, 7),
      interleaved = integer(&a, 8);
  if (a.failed) return NULL;
  rope_forward(out, inp, cosines, sines, n, heads, head_dim, rotary_dims, interleaved);
  return NULL;
}

/* attentionForward(out, logSumExps|null, query, keys, values, pastLengths|null, keyMask|null,
 *                  batch, time, slots, heads, kvHeads, headDim, window, scale, softcap) */
static napi_value js_attention_forward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 16)) return NULL;
  float *out = f32(&a, 0), *log_sum_exps = f32_or_null(&a, 1), *query = f32(&a, 2), *keys = f32(&a, 3),
        *values = f32(&a, 4);
  int32_t *past = i32_or_null(&a, 5);
  uint8_t *mask = u8_or_null(&a, 6);
  int batch = integer(&a, 7), time = integer(&a, 8), slots = integer(&a, 9), heads = integer(&a, 10),
      kv_heads = integer(&a, 11), head_dim = integer(&a, 12), window = integer(&a, 13);
  float scale = number(&a, 14), softcap = number(&a, 15);
  if (a.failed) return NULL;
  if (attention_forward(out, log_sum_exps, query, keys, values, past, mask, batch, time, slots, heads, kv_heads,
                        head_dim, window, scale, softcap) != 0) {
    napi_throw_error(env, "PROMPTUNE_NATIVE_MEMORY", "attention scratch allocation failed");
  }
  return NULL;
}

/* swigluForward / gegluForward (out, gate, up, n): a gated activation, elementwise */
static napi_value gated_op(napi_env env, napi_callback_info info,
                           void (*op)(float *, const float *, const float *, int)) {
  Args a;
  if (!read_args(env, info, &a, 4)) return NULL;
  float *out = f32(&a, 0), *gate = f32(&a, 1), *up = f32(&a, 2);
  int n = integer(&a, 3);
  if (a.failed) return NULL;
  op(out, gate, up, n);
  return NULL;
}
static napi_value js_swiglu_forward(napi_env env, napi_callback_info info) {
  return gated_op(env, info, swiglu_forward);
}
static napi_value js_geglu_forward(napi_env env, napi_callback_info info) {
  return gated_op(env, info, geglu_forward);
}

/* softcapForward(out, inp, cap, n) */
static napi_value js_softcap_forward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 4)) return NULL;
  float *out = f32(&a, 0), *inp = f32(&a, 1);
  float cap = number(&a, 2);
  int n = integer(&a, 3);
  if (a.failed) return NULL;
  softcap_forward(out, inp, cap, n);
  return NULL;
}

/* dropoutForward(out, inp, probability, key, start, n) and dropoutBackward(dinp, dout, …): the same arguments */
static napi_value dropout_op(napi_env env, napi_callback_info info,
                             void (*op)(float *, const float *, double, uint32_t, uint64_t, int)) {
  Args a;
  if (!read_args(env, info, &a, 6)) return NULL;
  float *out = f32(&a, 0), *inp = f32(&a, 1);
  double probability = real(&a, 2), key = real(&a, 3), start = real(&a, 4);
  int n = integer(&a, 5);
  if (a.failed) return NULL;
  op(out, inp, probability, (uint32_t)(uint64_t)key, (uint64_t)start, n);
  return NULL;
}
static napi_value js_dropout_forward(napi_env env, napi_callback_info info) {
  return dropout_op(env, info, dropout_forward);
}
static napi_value js_dropout_backward(napi_env env, napi_callback_info info) {
  return dropout_op(env, info, dropout_backward);
}

/* lowRankRowsForward(out, inp, as, bs, ranks, scales, indices, n, inFeatures, outFeatures): as and bs are
 * arrays of Float32Arrays, one A and one B per pair */
static napi_value js_low_rank_rows_forward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 10)) return NULL;
  float *out = f32(&a, 0), *inp = f32(&a, 1);
  int32_t *ranks = i32(&a, 4);
  float *scales = f32(&a, 5);
  int32_t *indices = i32(&a, 6);
  int n = integer(&a, 7), in_features = integer(&a, 8), out_features = integer(&a, 9);
  if (a.failed) return NULL;
  uint32_t count = 0, other = 0;
  bool arrays = false, both = false;
  napi_is_array(env, a.argv[2], &arrays);
  napi_is_array(env, a.argv[3], &both);
  if (!arrays || !both || napi_get_array_length(env, a.argv[2], &count) != napi_ok ||
      napi_get_array_length(env, a.argv[3], &other) != napi_ok || count != other) {
    napi_throw_type_error(env, "PROMPTUNE_NATIVE_ARGS", "lowRankRowsForward expects two arrays of one length");
    return NULL;
  }
  const float **matrices = malloc(sizeof(float *) * (2 * (size_t)count + 1));
  if (!matrices) {
    napi_throw_error(env, "PROMPTUNE_NATIVE", "out of memory");
    return NULL;
  }
  for (uint32_t i = 0; i < 2 * count; i++) {
    napi_value element;
    napi_typedarray_type type;
    size_t length, offset;
    void *data = NULL;
    napi_value buffer;
    bool is_typed = false;
    if (napi_get_element(env, a.argv[i < count ? 2 : 3], i % count, &element) != napi_ok ||
        napi_is_typedarray(env, element, &is_typed) != napi_ok || !is_typed ||
        napi_get_typedarray_info(env, element, &type, &length, &data, &buffer, &offset) != napi_ok ||
        type != napi_float32_array) {
      free(matrices);
      napi_throw_type_error(env, "PROMPTUNE_NATIVE_ARGS", "lowRankRowsForward's pairs must be Float32Arrays");
      return NULL;
    }
    matrices[i] = data;
  }
  int done = low_rank_rows_forward(out, inp, matrices, matrices + count, ranks, scales, indices, n, in_features,
                                   out_features);
  free(matrices);
  if (!done) napi_throw_error(env, "PROMPTUNE_NATIVE", "lowRankRowsForward: out of memory for a large rank");
  return NULL;
}

/* adamUpdate(parameters, gradient, m, v, decays|null, beta1, beta2, stepSize, correction2, eps, decay,
 *            coupled, n): the first value not finite after the step, or -1 */
static napi_value js_adam_update(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 13)) return NULL;
  float *parameters = f32(&a, 0), *gradient = f32(&a, 1);
  double *m = typed(&a, 2, napi_float64_array, 0), *v = typed(&a, 3, napi_float64_array, 0);
  uint8_t *decays = u8_or_null(&a, 4);
  double beta1 = real(&a, 5), beta2 = real(&a, 6), step_size = real(&a, 7), correction2 = real(&a, 8),
         eps = real(&a, 9), decay = real(&a, 10);
  int coupled = integer(&a, 11);
  double n = real(&a, 12);
  if (a.failed) return NULL;
  long long bad = adam_update(parameters, gradient, m, v, decays, beta1, beta2, step_size, correction2, eps, decay,
                              coupled, (long long)n);
  napi_value result;
  napi_create_double(env, (double)bad, &result);
  return result;
}

/* addForward(out, a, b, n) */
static napi_value js_add_forward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 4)) return NULL;
  float *out = f32(&a, 0), *x = f32(&a, 1), *y = f32(&a, 2);
  int n = integer(&a, 3);
  if (a.failed) return NULL;
  add_forward(out, x, y, n);
  return NULL;
}

/* softmaxForward / logSoftmaxForward (out, inp, n, vocabulary) */
static napi_value row_op(napi_env env, napi_callback_info info, void (*op)(float *, const float *, int, int)) {
  Args a;
  if (!read_args(env, info, &a, 4)) return NULL;
  float *out = f32(&a, 0), *inp = f32(&a, 1);
  int n = integer(&a, 2), vocabulary = integer(&a, 3);
  if (a.failed) return NULL;
  op(out, inp, n, vocabulary);
  return NULL;
}
static napi_value js_softmax_forward(napi_env env, napi_callback_info info) {
  return row_op(env, info, softmax_forward);
}
static napi_value js_log_softmax_forward(napi_env env, napi_callback_info info) {
  return row_op(env, info, log_softmax_forward);
}

/* crossEntropyForward(losses, logits, targets, n, vocabulary) */
static napi_value js_cross_entropy_forward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 5)) return NULL;
  float *losses = f32(&a, 0), *logits = f32(&a, 1);
  int32_t *targets = i32(&a, 2);
  int n = integer(&a, 3), vocabulary = integer(&a, 4);
  if (a.failed) return NULL;
  cross_entropy_forward(losses, logits, targets, n, vocabulary);
  return NULL;
}

/* matmulBackward(dinp, dout, weight, n, inFeatures, outFeatures) */
static napi_value js_matmul_backward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 6)) return NULL;
  float *dinp = f32(&a, 0), *dout = f32(&a, 1), *weight = f32(&a, 2);
  int n = integer(&a, 3), in_features = integer(&a, 4), out_features = integer(&a, 5);
  if (a.failed) return NULL;
  matmul_backward(dinp, dout, weight, n, in_features, out_features);
  return NULL;
}

/* rmsnormBackward(dinp, dout, inp, weight, rstd, n, channels) */
static napi_value js_rmsnorm_backward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 7)) return NULL;
  float *dinp = f32(&a, 0), *dout = f32(&a, 1), *inp = f32(&a, 2), *weight = f32(&a, 3), *rstd = f32(&a, 4);
  int n = integer(&a, 5), channels = integer(&a, 6);
  if (a.failed) return NULL;
  rmsnorm_backward(dinp, dout, inp, weight, rstd, n, channels);
  return NULL;
}

/* rmsnormWeightBackward(dweight, dout, inp, rstd, n, channels) */
static napi_value js_rmsnorm_weight_backward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 6)) return NULL;
  float *dweight = f32(&a, 0), *dout = f32(&a, 1), *inp = f32(&a, 2), *rstd = f32(&a, 3);
  int n = integer(&a, 4), channels = integer(&a, 5);
  if (a.failed) return NULL;
  rmsnorm_weight_backward(dweight, dout, inp, rstd, n, channels);
  return NULL;
}

/* ropeBackward(dinp, dout, cosines, sines, n, heads, headDim, rotaryDims, interleaved) */
static napi_value js_rope_backward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 9)) return NULL;
  float *dinp = f32(&a, 0), *dout = f32(&a, 1), *cosines = f32(&a, 2), *sines = f32(&a, 3);
  int n = integer(&a, 4), heads = integer(&a, 5), head_dim = integer(&a, 6), rotary_dims = integer(&a, 7),
      interleaved = integer(&a, 8);
  if (a.failed) return NULL;
  rope_backward(dinp, dout, cosines, sines, n, heads, head_dim, rotary_dims, interleaved);
  return NULL;
}

/* attentionBackward(dquery, dkeys, dvalues, dout, logSumExps, query, keys, values, pastLengths|null, batch,
 *                   time, slots, heads, kvHeads, headDim, window, scale, softcap) */
static napi_value js_attention_backward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 18)) return NULL;
  float *dquery = f32(&a, 0), *dkeys = f32(&a, 1), *dvalues = f32(&a, 2), *dout = f32(&a, 3),
        *log_sum_exps = f32(&a, 4), *query = f32(&a, 5), *keys = f32(&a, 6), *values = f32(&a, 7);
  int32_t *past = i32_or_null(&a, 8);
  int batch = integer(&a, 9), time = integer(&a, 10), slots = integer(&a, 11), heads = integer(&a, 12),
      kv_heads = integer(&a, 13), head_dim = integer(&a, 14), window = integer(&a, 15);
  float scale = number(&a, 16), softcap = number(&a, 17);
  if (a.failed) return NULL;
  if (attention_backward(dquery, dkeys, dvalues, dout, log_sum_exps, query, keys, values, past, batch, time, slots,
                         heads, kv_heads, head_dim, window, scale, softcap) != 0) {
    napi_throw_error(env, "PROMPTUNE_NATIVE_MEMORY", "attention backward scratch allocation failed");
  }
  return NULL;
}

/* swigluBackward / gegluBackward (dgate, dup, dout, gate, up, n) */
static napi_value gated_backward_op(napi_env env, napi_callback_info info,
                                    void (*op)(float *, float *, const float *, const float *, const float *, int)) {
  Args a;
  if (!read_args(env, info, &a, 6)) return NULL;
  float *dgate = f32(&a, 0), *dup = f32(&a, 1), *dout = f32(&a, 2), *gate = f32(&a, 3), *up = f32(&a, 4);
  int n = integer(&a, 5);
  if (a.failed) return NULL;
  op(dgate, dup, dout, gate, up, n);
  return NULL;
}
static napi_value js_swiglu_backward(napi_env env, napi_callback_info info) {
  return gated_backward_op(env, info, swiglu_backward);
}
static napi_value js_geglu_backward(napi_env env, napi_callback_info info) {
  return gated_backward_op(env, info, geglu_backward);
}

/* softcapBackward(dinp, dout, out, cap, n) */
static napi_value js_softcap_backward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 5)) return NULL;
  float *dinp = f32(&a, 0), *dout = f32(&a, 1), *out = f32(&a, 2);
  float cap = number(&a, 3);
  int n = integer(&a, 4);
  if (a.failed) return NULL;
  softcap_backward(dinp, dout, out, cap, n);
  return NULL;
}

/* crossEntropyBackward(dlogits, dlosses, logits, targets, n, vocabulary) */
static napi_value js_cross_entropy_backward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 6)) return NULL;
  float *dlogits = f32(&a, 0), *dlosses = f32(&a, 1), *logits = f32(&a, 2);
  int32_t *targets = i32(&a, 3);
  int n = integer(&a, 4), vocabulary = integer(&a, 5);
  if (a.failed) return NULL;
  cross_entropy_backward(dlogits, dlosses, logits, targets, n, vocabulary);
  return NULL;
}

/* setThreads(n): the size of the one pool the kernels use (OpenBLAS's, OpenMP's when they are the same). */
static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 1)) return NULL;
  int n = integer(&a, 0);
  if (a.failed) return NULL;
  openblas_set_num_threads(n);
#ifdef PROMPTUNE_OPENMP
  omp_set_num_threads(n);
#endif
  return NULL;
}

static napi_value js_get_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &result));
  return result;
}

/* blasCore(): the name of the kernels OpenBLAS chose for this CPU when it loaded ("SkylakeX", "Haswell", ...). */
static napi_value js_blas_core(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  CHECK(napi_create_string_utf8(env, openblas_get_corename(), NAPI_AUTO_LENGTH, &result));
  return result;
}

/* threading(): "openmp" when kernels and OpenBLAS share an OpenMP pool, "pthread" when only BLAS is threaded. */
static napi_value js_threading(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
#ifdef PROMPTUNE_OPENMP
  CHECK(napi_create_string_utf8(env, "openmp", NAPI_AUTO_LENGTH, &result));
#else
  CHECK(napi_create_string_utf8(env, "pthread", NAPI_AUTO_LENGTH, &result));
#endif
  return result;
}

/* a GGML type id the quantized kernels handle, else a thrown error */
static int quantized_type(Args *args, size_t index) {
  int type = integer(args, index);
  if (!args->failed && !quantized_type_supported(type)) {
    napi_throw_range_error(args->env, "PROMPTUNE_NATIVE_ARGS", "not a GGML block type the native kernels read");
    args->failed = 1;
  }
  return type;
}

static napi_value out_of_memory(napi_env env) {
  napi_throw_error(env, "PROMPTUNE_NATIVE_MEMORY", "out of memory for a quantized product's scratch tile");
  return NULL;
}

/* quantizedMatmulForward(out, inp, weight (bytes), type, bias|null, n, inFeatures, outFeatures) */
static napi_value js_quantized_matmul_forward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 8)) return NULL;
  float *out = f32(&a, 0), *inp = f32(&a, 1), *bias = f32_or_null(&a, 4);
  uint8_t *weight = u8(&a, 2);
  int type = quantized_type(&a, 3), n = integer(&a, 5), in_features = integer(&a, 6), out_features = integer(&a, 7);
  if (a.failed) return NULL;
  if (quantized_matmul_forward(out, inp, weight, type, bias, n, in_features, out_features) != 0)
    return out_of_memory(env);
  return NULL;
}

/* quantizedMatmulBackward(dinp, dout, weight (bytes), type, n, inFeatures, outFeatures) */
static napi_value js_quantized_matmul_backward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 7)) return NULL;
  float *dinp = f32(&a, 0), *dout = f32(&a, 1);
  uint8_t *weight = u8(&a, 2);
  int type = quantized_type(&a, 3), n = integer(&a, 4), in_features = integer(&a, 5), out_features = integer(&a, 6);
  if (a.failed) return NULL;
  if (quantized_matmul_backward(dinp, dout, weight, type, n, in_features, out_features) != 0)
    return out_of_memory(env);
  return NULL;
}

/* quantizedEmbeddingForward(out, ids, table (bytes), type, n, channels) */
static napi_value js_quantized_embedding_forward(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 6)) return NULL;
  float *out = f32(&a, 0);
  int32_t *ids = i32(&a, 1);
  uint8_t *table = u8(&a, 2);
  int type = quantized_type(&a, 3), n = integer(&a, 4), channels = integer(&a, 5);
  if (a.failed) return NULL;
  quantized_embedding_forward(out, ids, table, type, n, channels);
  return NULL;
}

/* dequantize(out, bytes, type, rows, columns) */
static napi_value js_dequantize(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 5)) return NULL;
  float *out = f32(&a, 0);
  uint8_t *bytes = u8(&a, 1);
  int type = quantized_type(&a, 2), rows = integer(&a, 3), columns = integer(&a, 4);
  if (a.failed) return NULL;
  quantized_decode(out, bytes, type, rows, columns);
  return NULL;
}

/* setQuantizedLevel(level): 0 baseline, 1 AVX2, 2 AVX-512, -1 the best; returns the level in use */
static napi_value js_set_quantized_level(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, &a, 1)) return NULL;
  int wanted = integer(&a, 0);
  if (a.failed) return NULL;
  napi_value result;
  CHECK(napi_create_int32(env, quantized_set_level(wanted), &result));
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"gemm", NULL, js_gemm, NULL, NULL, NULL, napi_default, NULL},
      {"matmulForward", NULL, js_matmul_forward, NULL, NULL, NULL, napi_default, NULL},
      {"embeddingForward", NULL, js_embedding_forward, NULL, NULL, NULL, napi_default, NULL},
      {"rmsnormForward", NULL, js_rmsnorm_forward, NULL, NULL, NULL, napi_default, NULL},
      {"ropeForward", NULL, js_rope_forward, NULL, NULL, NULL, napi_default, NULL},
      {"attentionForward", NULL, js_attention_forward, NULL, NULL, NULL, napi_default, NULL},
      {"swigluForward", NULL, js_swiglu_forward, NULL, NULL, NULL, napi_default, NULL},
      {"gegluForward", NULL, js_geglu_forward, NULL, NULL, NULL, napi_default, NULL},
      {"softcapForward", NULL, js_softcap_forward, NULL, NULL, NULL, napi_default, NULL},
      {"addForward", NULL, js_add_forward, NULL, NULL, NULL, napi_default, NULL},
      {"dropoutForward", NULL, js_dropout_forward, NULL, NULL, NULL, napi_default, NULL},
      {"dropoutBackward", NULL, js_dropout_backward, NULL, NULL, NULL, napi_default, NULL},
      {"lowRankRowsForward", NULL, js_low_rank_rows_forward, NULL, NULL, NULL, napi_default, NULL},
      {"adamUpdate", NULL, js_adam_update, NULL, NULL, NULL, napi_default, NULL},
      {"softmaxForward", NULL, js_softmax_forward, NULL, NULL, NULL, napi_default, NULL},
      {"logSoftmaxForward", NULL, js_log_softmax_forward, NULL, NULL, NULL, napi_default, NULL},
      {"crossEntropyForward", NULL, js_cross_entropy_forward, NULL, NULL, NULL, napi_default, NULL},
      {"matmulBackward", NULL, js_matmul_backward, NULL, NULL, NULL, napi_default, NULL},
      {"rmsnormBackward", NULL, js_rmsnorm_backward, NULL, NULL, NULL, napi_default, NULL},
      {"rmsnormWeightBackward", NULL, js_rmsnorm_weight_backward, NULL, NULL, NULL, napi_default, NULL},
      {"ropeBackward", NULL, js_rope_backward, NULL, NULL, NULL, napi_default, NULL},
      {"attentionBackward", NULL, js_attention_backward, NULL, NULL, NULL, napi_default, NULL},
      {"swigluBackward", NULL, js_swiglu_backward, NULL, NULL, NULL, napi_default, NULL},
      {"gegluBackward", NULL, js_geglu_backward, NULL, NULL, NULL, napi_default, NULL},
      {"softcapBackward", NULL, js_softcap_backward, NULL, NULL, NULL, napi_default, NULL},
      {"crossEntropyBackward", NULL, js_cross_entropy_backward, NULL, NULL, NULL, napi_default, NULL},
      {"quantizedMatmulForward", NULL, js_quantized_matmul_forward, NULL, NULL, NULL, napi_default, NULL},
      {"quantizedMatmulBackward", NULL, js_quantized_matmul_backward, NULL, NULL, NULL, napi_default, NULL},
      {"quantizedEmbeddingForward", NULL, js_quantized_embedding_forward, NULL, NULL, NULL, napi_default, NULL},
      {"dequantize", NULL, js_dequantize, NULL, NULL, NULL, napi_default, NULL},
      {"setQuantizedLevel", NULL, js_set_quantized_level, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"getThreads", NULL, js_get_threads, NULL, NULL, NULL, napi_default, NULL},
      {"threading", NULL, js_threading, NULL, NULL, NULL, napi_default, NULL},
      {"blasCore", NULL, js_blas_core, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
