/* Row kernels built for AVX-512, AVX2 and the x86-64 baseline (rows_body.h), chosen once by CPU: the
 * softmax of attention rows, SwiGLU and its backward, and attention for small heads. The rest of the
 * library is built for the baseline, where these loops' exp would run four lanes wide or scalar. */
#include "rows.h"

#include <math.h>
#include <stddef.h>

#include "parallel.h"
#include "vector_math.h"

#define NAME avx512
#define TARGET "arch=x86-64-v4"
#include "rows_body.h"
#undef NAME
#undef TARGET

#define NAME avx2
#define TARGET "arch=x86-64-v3"
#include "rows_body.h"
#undef NAME
#undef TARGET

#define NAME baseline
#define TARGET "arch=x86-64-v2"
#include "rows_body.h"
#undef NAME
#undef TARGET

typedef struct {
  float (*softmax_span)(float *, int, int, int, const uint8_t *, float);
  void (*probabilities_span)(float *, const float *, int, int, int, float, float);
  void (*swiglu_span)(float *, const float *, const float *, int);
  void (*swiglu_backward_span)(float *, float *, const float *, const float *, const float *, int);
  void (*attention_small_heads)(float *, float *, const float *, const float *, const float *, float *,
                                const uint8_t *, int, int, int, int, int, int, int, float, float);
  void (*attention_backward_small_heads)(float *, float *, float *, const float *, const float *, const float *,
                                         const float *, const float *, float *, int, int, int, int, int, int, int,
                                         int, int, float, float);
} RowKernels;

#define KERNELS(name) \
  {softmax_span_##name, probabilities_span_##name, swiglu_span_##name, swiglu_backward_span_##name, attention_small_heads_##name, \
   attention_backward_small_heads_##name}

static const RowKernels *row_kernels(void) {
  static const RowKernels avx512 = KERNELS(avx512), avx2 = KERNELS(avx2), baseline = KERNELS(baseline);
  static const RowKernels *chosen = NULL;
  if (!chosen) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) chosen = &avx512;
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) chosen = &avx2;
    else chosen = &baseline;
  }
  return chosen;
}

float softmax_span(float *row, int first, int last, int length, const uint8_t *mask, float softcap) {
  return row_kernels()->softmax_span(row, first, last, length, mask, softcap);
}

void probabilities_span(float *p, const float *scores, int first, int last, int length, float normalizer,
                        float softcap) {
  row_kernels()->probabilities_span(p, scores, first, last, length, normalizer, softcap);
}

void swiglu_span(float *out, const float *gate, const float *up, int n) {
  row_kernels()->swiglu_span(out, gate, up, n);
}

void swiglu_backward_span(float *dgate, float *dup, const float *dout, const float *gate, const float *up, int n) {
  row_kernels()->swiglu_backward_span(dgate, dup, dout, gate, up, n);
}

void attention_small_heads(float *o, float *log_sum_exp, const float *q, const float *k, const float *v,
                           float *scratch, const uint8_t *mask, int time, int visible, int past, int q_stride,
                           int kv_stride, int head_dim, int window, float scale, float softcap) {
  row_kernels()->attention_small_heads(o, log_sum_exp, q, k, v, scratch, mask, time, visible, past, q_stride,
                                       kv_stride, head_dim, window, scale, softcap);
}

void attention_backward_small_heads(float *dquery, float *dk, float *dv, const float *dout, const float *log_sum_exps,
                                    const float *query, const float *k, const float *v, float *scratch, int time,
                                    int visible, int past, int first_head, int group, int q_stride, int kv_stride,
                                    int head_dim, int window, float scale, float softcap) {
  row_kernels()->attention_backward_small_heads(dquery, dk, dv, dout, log_sum_exps, query, k, v, scratch, time,
                                                visible, past, first_head, group, q_stride, kv_stride, head_dim,
                                                window, scale, softcap);
}
