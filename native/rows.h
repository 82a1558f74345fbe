/* Row kernels (rows.c), built per instruction set and chosen by CPU. */
#ifndef PROMPTUNE_ROWS_H
#define PROMPTUNE_ROWS_H
#include <stdint.h>

/* Elementwise kernels work in spans of this many values, one span per parallel loop iteration. */
#define SPAN 4096

/* Heads up to this size take attention_small_heads in training and prefill. */
#define SMALL_HEAD 16

/* Softmax of row[first..last] in place, 0 elsewhere in its `length`; returns the log normalizer. */
float softmax_span(float *row, int first, int last, int length, const uint8_t *mask, float softcap);
/* p[j] = exp(capped scores[j] - normalizer) over first..last, 0 elsewhere in its `length`. */
void probabilities_span(float *p, const float *scores, int first, int last, int length, float normalizer,
                        float softcap);
void swiglu_span(float *out, const float *gate, const float *up, int n);
void swiglu_backward_span(float *dgate, float *dup, const float *dout, const float *gate, const float *up, int n);

/* Keys per block of the small-head kernels' rows (a multiple of every vector width). */
#define BLOCK 16

/* Attention for one query head of up to SMALL_HEAD dimensions over `visible` keys, keeping each query's
 * log normalizer in log_sum_exp (time) unless NULL; scratch: small_heads_scratch(head_dim, visible) floats. */
#define small_heads_scratch(head_dim, visible) \
  (((size_t)(head_dim) + 1) * (((visible) + BLOCK - 1) / BLOCK * BLOCK))
void attention_small_heads(float *o, float *log_sum_exp, const float *q, const float *k, const float *v,
                           float *scratch, const uint8_t *mask, int time, int visible, int past, int q_stride,
                           int kv_stride, int head_dim, int window, float scale, float softcap);

/* Its backward for one (batch row, key/value head) pair; scratch: small_heads_backward_scratch floats. */
#define small_heads_backward_scratch(head_dim, visible) \
  ((4 * (size_t)(head_dim) + 3) * (((visible) + BLOCK - 1) / BLOCK * BLOCK))
void attention_backward_small_heads(float *dquery, float *dk, float *dv, const float *dout, const float *log_sum_exps,
                                    const float *query, const float *k, const float *v, float *scratch, int time,
                                    int visible, int past, int first_head, int group, int q_stride, int kv_stride,
                                    int head_dim, int window, float scale, float softcap);
#endif
