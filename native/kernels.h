/* promptune native kernels: forward ops of the Llama-family decoder on float32 buffers.
 * Plain C over raw pointers; no allocation except scratch rows, no threads of our own:
 * GEMMs go to OpenBLAS (its one thread pool), everything else is a single-threaded loop.
 * Shapes follow src/engine: B batch, T time, S key slots, C channels, H heads, V vocabulary. */
#ifndef PROMPTUNE_KERNELS_H
#define PROMPTUNE_KERNELS_H
#include <stdint.h>

/* GELU's tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
#define GELU_SQRT_2_OVER_PI 0.7978845608028654f
#define GELU_CUBIC 0.044715f

void gemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
          int ldb, float beta, float *c, int ldc);
/* c (n, columns) = a (n, depth) . b (or b^T when trans_b) + beta * c, rows split across the pool for
 * small products (see kernels.c). */
void sgemm_rows(int trans_b, int n, int columns, int depth, const float *a, int lda, const float *b, int ldb,
                float beta, float *c, int ldc);
void matmul_forward(float *out, const float *inp, const float *weight, const float *bias, int n, int in_features,
                    int out_features);
/* out (n, out_features) += bias per row (matmul_forward's, and the quantized product's) */
void add_bias(float *out, const float *bias, int n, int out_features);
void embedding_forward(float *out, const int32_t *ids, const float *table, int n, int channels);
void rmsnorm_forward(float *out, float *rstd, const float *inp, const float *weight, int n, int channels,
                     float eps);
void rope_forward(float *out, const float *inp, const float *cosines, const float *sines, int n, int heads,
                  int head_dim, int rotary_dims, int interleaved);
int attention_forward(float *out, float *log_sum_exps, const float *query, const float *keys, const float *values,
                      const int32_t *past_lengths, const uint8_t *key_mask, int batch, int time, int slots,
                      int heads, int kv_heads, int head_dim, int window, float scale, float softcap);
void swiglu_forward(float *out, const float *gate, const float *up, int n);
void geglu_forward(float *out, const float *gate, const float *up, int n);
void softcap_forward(float *out, const float *inp, float cap, int n);
void add_forward(float *out, const float *a, const float *b, int n);
/* out (n, out_features) += scales[p] * B_p (A_p x_row) with p = indices[row], none for -1 (low_rank.c); A_p is
 * (ranks[p], in_features), B_p (out_features, ranks[p]); 0 when a large rank found no memory, else 1 */
int low_rank_rows_forward(float *out, const float *inp, const float *const *as, const float *const *bs,
                          const int32_t *ranks, const float *scales, const int32_t *indices, int n,
                          int in_features, int out_features);
/* inverted dropout (dropout.c): out = inp / (1 - p) where the mask drawn from key keeps position start + i */
void dropout_forward(float *out, const float *inp, double probability, uint32_t key, uint64_t start, int n);
/* dinp += dout / (1 - p) where dropout_forward's mask keeps */
void dropout_backward(float *dinp, const float *dout, double probability, uint32_t key, uint64_t start, int n);
void softmax_forward(float *out, const float *inp, int n, int vocabulary);
void log_softmax_forward(float *out, const float *inp, int n, int vocabulary);
void cross_entropy_forward(float *losses, const float *logits, const int32_t *targets, int n, int vocabulary);

/* one Adam step over n values (adam.c); returns the first value not finite after it, or -1 */
long long adam_update(float *parameters, const float *gradient, double *m, double *v, const uint8_t *decays,
                      double beta1, double beta2, double step_size, double correction2, double eps, double decay,
                      int coupled, long long n);

/* backward ops (backward.c): input gradients for frozen weights */
void matmul_backward(float *dinp, const float *dout, const float *weight, int n, int in_features, int out_features);
void rmsnorm_backward(float *dinp, const float *dout, const float *inp, const float *weight, const float *rstd, int n,
                      int channels);
void rmsnorm_weight_backward(float *dweight, const float *dout, const float *inp, const float *rstd, int n,
                             int channels);
void rope_backward(float *dinp, const float *dout, const float *cosines, const float *sines, int n, int heads,
                   int head_dim, int rotary_dims, int interleaved);
int attention_backward(float *dquery, float *dkeys, float *dvalues, const float *dout, const float *log_sum_exps,
                       const float *query, const float *keys, const float *values, const int32_t *past_lengths,
                       int batch, int time, int slots, int heads, int kv_heads, int head_dim, int window, float scale,
                       float softcap);
void swiglu_backward(float *dgate, float *dup, const float *dout, const float *gate, const float *up, int n);
void geglu_backward(float *dgate, float *dup, const float *dout, const float *gate, const float *up, int n);
void softcap_backward(float *dinp, const float *dout, const float *out, float cap, int n);
void cross_entropy_backward(float *dlogits, const float *dlosses, const float *logits, const int32_t *targets, int n,
                            int vocabulary);

#endif
