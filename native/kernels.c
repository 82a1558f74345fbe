/* promptune native kernels (see kernels.h). The JS twins in src/engine/kernels/js.ts are the
 * readable reference; these must agree with them within float tolerance (kernels.test.ts).
 * Threads: built against OpenBLAS's OpenMP variant, loops here run on the same OpenMP pool that
 * OpenBLAS uses (one pool; BLAS calls inside a parallel loop run single-threaded). Built against the
 * pthread variant, these loops stay single-threaded so two pools never compete for the cores. */
#include "kernels.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "few_rows.h"
#include "parallel.h"
#include "rows.h"

void gemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
          int ldb, float beta, float *c, int ldc) {
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k,
              alpha, a, lda, b, ldb, beta, c, ldc);
}

/* Products up to this many multiply-adds split their rows across the pool, one single-threaded sgemm per
 * thread (inside a parallel region OpenBLAS runs on the calling thread): OpenBLAS's own split of a
 * small product costs more in synchronization than it saves (a small model's training step: 960 x 64
 * rows against 64 x 172 weights). Larger products keep OpenBLAS's split. */
#define SMALL_PRODUCT (1L << 24)

void sgemm_rows(int trans_b, int n, int columns, int depth, const float *a, int lda, const float *b, int ldb,
                float beta, float *c, int ldc) {
  int parts = (size_t)n * columns * depth <= SMALL_PRODUCT && n >= 64 ? thread_count() : 1;
  if (parts == 1) { /* outside any parallel region, so OpenBLAS may use the whole pool */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, n, columns, depth, 1.0f, a, lda, b,
                ldb, beta, c, ldc);
    return;
  }
  PARALLEL_FOR(parts > 1)
  for (int part = 0; part < parts; part++) {
    int begin = (int)((long)n * part / parts), end = (int)((long)n * (part + 1) / parts);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, end - begin, columns, depth, 1.0f,
                a + (size_t)begin * lda, lda, b, ldb, beta, c + (size_t)begin * ldc, ldc);
  }
}

/* out (n, out_features) = inp (n, in_features) . weight^T, weight stored (out_features, in_features). */
void matmul_forward(float *out, const float *inp, const float *weight, const float *bias, int n, int in_features,
                    int out_features) {
  if (n > 1 && n <= FEW_ROWS) {
    matmul_few_rows(out, inp, weight, n, in_features, out_features);
  } else if (n == 1) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, out_features, in_features, 1.0f, weight, in_features, inp, 1, 0.0f,
                out, 1);
  } else {
    sgemm_rows(1, n, out_features, in_features, inp, in_features, weight, in_features, 0.0f, out, out_features);
  }
  if (bias) add_bias(out, bias, n, out_features);
}

void add_bias(float *out, const float *bias, int n, int out_features) {
  PARALLEL_FOR((size_t)n * out_features > ENOUGH_WORK)
  for (int row = 0; row < n; row++) {
    float *o = out + (size_t)row * out_features;
    for (int j = 0; j < out_features; j++) o[j] += bias[j];
  }
}

void embedding_forward(float *out, const int32_t *ids, const float *table, int n, int channels) {
  PARALLEL_FOR((size_t)n * channels > ENOUGH_WORK)
  for (int i = 0; i < n; i++) memcpy(out + (size_t)i * channels, table + (size_t)ids[i] * channels, sizeof(float) * channels);
}

void rmsnorm_forward(float *out, float *rstd, const float *inp, const float *weight, int n, int channels,
                     float eps) {
  PARALLEL_FOR((size_t)n * channels > ENOUGH_WORK)
  for (int i = 0; i < n; i++) {
    const float *x = inp + (size_t)i * channels;
    float *o = out + (size_t)i * channels;
    double sum = 0.0;
    for (int c = 0; c < channels; c++) sum += (double)x[c] * x[c];
    float s = (float)(1.0 / sqrt(sum / channels + eps));
    for (int c = 0; c < channels; c++) o[c] = x[c] * s * weight[c];
    if (rstd) rstd[i] = s;
  }
}

/* Rotates the first rotary_dims dimensions of each head by the angles whose cosines/sines
 * (n, rotary_dims/2) are given per token; the rest pass through (partial rotary, Phi-4-mini).
 * interleaved pairs (2i, 2i+1) as llama2.c / GGUF rope type NORM; otherwise HF rotate_half pairs
 * (i, i + rotary_dims/2). out may equal inp. */
void rope_forward(float *out, const float *inp, const float *cosines, const float *sines, int n, int heads,
                  int head_dim, int rotary_dims, int interleaved) {
  int half = rotary_dims / 2;
  PARALLEL_FOR((size_t)n * heads * head_dim > ENOUGH_WORK)
  for (int i = 0; i < n; i++) {
    const float *cosine = cosines + (size_t)i * half, *sine = sines + (size_t)i * half;
    for (int h = 0; h < heads; h++) {
      const float *x = inp + ((size_t)i * heads + h) * head_dim;
      float *o = out + ((size_t)i * heads + h) * head_dim;
      if (o != x)
        for (int d = rotary_dims; d < head_dim; d++) o[d] = x[d];
      if (interleaved) {
        for (int f = 0; f < half; f++) {
          float x0 = x[2 * f], x1 = x[2 * f + 1];
          o[2 * f] = x0 * cosine[f] - x1 * sine[f];
          o[2 * f + 1] = x0 * sine[f] + x1 * cosine[f];
        }
      } else {
        for (int f = 0; f < half; f++) {
          float x0 = x[f], x1 = x[f + half];
          o[f] = x0 * cosine[f] - x1 * sine[f];
          o[f + half] = x0 * sine[f] + x1 * cosine[f];
        }
      }
    }
  }
}

/* Up to this much work (queries x visible keys x head size) per head, attention_forward's two products
 * are plain loops: a decode step asks for thousands of tiny products, and a BLAS call's fixed cost was
 * most of the attention time. */
#define DIRECT_ATTENTION 32768

/* p (time, slots) = scale * q . k^T over the keys each query may see (0 .. past + t); the rest of each
 * row is left for the softmax to clear. */
static void attention_scores(float *p, const float *q, const float *k, int time, int visible, int past, int slots,
                             int q_stride, int kv_stride, int head_dim, float scale) {
  for (int t = 0; t < time; t++) {
    const float *query = q + (size_t)t * q_stride;
    int last = past + t < visible ? past + t : visible - 1;
    for (int j = 0; j <= last; j++) {
      const float *key = k + (size_t)j * kv_stride;
      float sum = 0.0f;
      PRAGMA(omp simd reduction(+ : sum))
      for (int d = 0; d < head_dim; d++) sum += query[d] * key[d];
      p[(size_t)t * slots + j] = sum * scale;
    }
  }
}

/* o (time, head_dim) = p . v, where p is zero past each query's last visible key. */
static void attention_values(float *o, const float *p, const float *v, int time, int visible, int slots,
                             int q_stride, int kv_stride, int head_dim) {
  for (int t = 0; t < time; t++) {
    float *output = o + (size_t)t * q_stride;
    const float *weights = p + (size_t)t * slots;
    for (int d = 0; d < head_dim; d++) output[d] = 0.0f;
    for (int j = 0; j < visible; j++) {
      float weight = weights[j];
      if (weight == 0.0f) continue;
      const float *value = v + (size_t)j * kv_stride;
      PRAGMA(omp simd)
      for (int d = 0; d < head_dim; d++) output[d] += weight * value[d];
    }
  }
}

/* Causal grouped-query attention over a key/value buffer of `slots` positions per row.
 * query (B,T,H*hd); keys, values (B,S,KVH*hd); out (B,T,H*hd); log_sum_exps (B,H,T) or NULL.
 * Query t of row b sits at position past_lengths[b] + t and sees keys 0..that position whose
 * key_mask (B,S) entry is non-zero (no mask: all); with window > 0, only the last `window` positions
 * (sliding-window attention). Scores are scale * q . k, then softcap * tanh(score / softcap) when
 * softcap > 0 (Gemma 2). For a backward pass each query's log softmax normalizer is kept in log_sum_exps
 * (the backward recomputes the probabilities from it: (B,H,T,T) of them would not fit in memory for
 * longer sequences). Returns 0, or -1 when scratch allocation fails. */
int attention_forward(float *out, float *log_sum_exps, const float *query, const float *keys, const float *values,
                      const int32_t *past_lengths, const uint8_t *key_mask, int batch, int time, int slots,
                      int heads, int kv_heads, int head_dim, int window, float scale, float softcap) {
  int q_stride = heads * head_dim, kv_stride = kv_heads * head_dim, group = heads / kv_heads;
  /* per thread: the small-head path's transposed keys and row, or a block of probabilities */
  int small = head_dim <= SMALL_HEAD && time > 1;
  size_t per_thread = small ? small_heads_scratch(head_dim, slots) : (size_t)time * slots;
  float *scratch = malloc(sizeof(float) * (size_t)thread_count() * per_thread);
  if (!scratch) return -1;
  int pairs = batch * heads;
  PARALLEL_FOR(pairs > 1 && (size_t)pairs * time * slots * head_dim > ENOUGH_WORK)
  for (int pair = 0; pair < pairs; pair++) {
    int b = pair / heads, h = pair % heads;
    int past = past_lengths ? past_lengths[b] : 0;
    int visible = past + time; /* keys any query of this row can see */
    if (visible > slots) visible = slots;
    const uint8_t *mask = key_mask ? key_mask + (size_t)b * slots : NULL;
    int kvh = h / group;
    const float *q = query + (size_t)b * time * q_stride + (size_t)h * head_dim;
    const float *k = keys + (size_t)b * slots * kv_stride + (size_t)kvh * head_dim;
    const float *v = values + (size_t)b * slots * kv_stride + (size_t)kvh * head_dim;
    float *p = scratch + (size_t)thread_index() * per_thread;
    float *o = out + (size_t)b * time * q_stride + (size_t)h * head_dim;
    float *normalizers = log_sum_exps ? log_sum_exps + ((size_t)b * heads + h) * time : NULL;
    if (small) {
      attention_small_heads(o, normalizers, q, k, v, p, mask, time, visible, past, q_stride, kv_stride, head_dim,
                            window, scale, softcap);
      continue;
    }
    int direct = (size_t)time * visible * head_dim <= DIRECT_ATTENTION;
    if (direct) attention_scores(p, q, k, time, visible, past, slots, q_stride, kv_stride, head_dim, scale);
    else
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, time, visible, head_dim, scale, q, q_stride, k,
                  kv_stride, 0.0f, p, slots);
    for (int t = 0; t < time; t++) {
      float *row = p + (size_t)t * slots;
      int last = past + t; /* inclusive */
      if (last >= visible) last = visible - 1;
      int first = window > 0 && last - window + 1 > 0 ? last - window + 1 : 0;
      float normalizer = softmax_span(row, first, last, slots, mask, softcap);
      if (normalizers) normalizers[t] = normalizer;
    }
    if (direct) attention_values(o, p, v, time, visible, slots, q_stride, kv_stride, head_dim);
    else
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, time, head_dim, visible, 1.0f, p, slots, v,
                  kv_stride, 0.0f, o, q_stride);
  }
  free(scratch);
  return 0;
}

void swiglu_forward(float *out, const float *gate, const float *up, int n) {
  int spans = (n + SPAN - 1) / SPAN;
  PARALLEL_FOR(n > ENOUGH_WORK)
  for (int s = 0; s < spans; s++) {
    size_t at = (size_t)s * SPAN;
    swiglu_span(out + at, gate + at, up + at, n - (int)at < SPAN ? n - (int)at : SPAN);
  }
}

/* out = gelu(gate) * up, with the tanh approximation of GELU (PyTorch's gelu(approximate="tanh"),
 * Gemma's gelu_pytorch_tanh). */
void geglu_forward(float *out, const float *gate, const float *up, int n) {
  PARALLEL_FOR(n > ENOUGH_WORK)
  for (int i = 0; i < n; i++) {
    float g = gate[i];
    float inner = GELU_SQRT_2_OVER_PI * (g + GELU_CUBIC * g * g * g);
    out[i] = 0.5f * g * (1.0f + tanhf(inner)) * up[i];
  }
}

/* out = cap * tanh(inp / cap) (Gemma 2's final-logit soft-capping); out may equal inp. */
void softcap_forward(float *out, const float *inp, float cap, int n) {
  PARALLEL_FOR(n > ENOUGH_WORK)
  for (int i = 0; i < n; i++) out[i] = cap * tanhf(inp[i] / cap);
}

void add_forward(float *out, const float *a, const float *b, int n) {
  PARALLEL_FOR(n > ENOUGH_WORK)
  for (int i = 0; i < n; i++) out[i] = a[i] + b[i];
}

static float row_max(const float *x, int length) {
  float maximum = -INFINITY;
  for (int j = 0; j < length; j++)
    if (x[j] > maximum) maximum = x[j];
  return maximum;
}

void softmax_forward(float *out, const float *inp, int n, int vocabulary) {
  PARALLEL_FOR((size_t)n * vocabulary > ENOUGH_WORK)
  for (int i = 0; i < n; i++) {
    const float *x = inp + (size_t)i * vocabulary;
    float *o = out + (size_t)i * vocabulary;
    float maximum = row_max(x, vocabulary);
    double sum = 0.0;
    for (int j = 0; j < vocabulary; j++) {
      o[j] = expf(x[j] - maximum);
      sum += o[j];
    }
    float inverse = (float)(1.0 / sum);
    for (int j = 0; j < vocabulary; j++) o[j] *= inverse;
  }
}

static double log_sum_exp(const float *x, int length) {
  float maximum = row_max(x, length);
  double sum = 0.0;
  for (int j = 0; j < length; j++) sum += exp((double)x[j] - maximum);
  return maximum + log(sum);
}

void log_softmax_forward(float *out, const float *inp, int n, int vocabulary) {
  PARALLEL_FOR((size_t)n * vocabulary > ENOUGH_WORK)
  for (int i = 0; i < n; i++) {
    const float *x = inp + (size_t)i * vocabulary;
    float *o = out + (size_t)i * vocabulary;
    double normalizer = log_sum_exp(x, vocabulary);
    for (int j = 0; j < vocabulary; j++) o[j] = (float)(x[j] - normalizer);
  }
}

/* losses[i] = -log softmax(logits[i])[targets[i]]; a negative target marks an ignored row (loss 0). */
void cross_entropy_forward(float *losses, const float *logits, const int32_t *targets, int n, int vocabulary) {
  PARALLEL_FOR((size_t)n * vocabulary > ENOUGH_WORK)
  for (int i = 0; i < n; i++) {
    if (targets[i] < 0) {
      losses[i] = 0.0f;
      continue;
    }
    const float *x = logits + (size_t)i * vocabulary;
    losses[i] = (float)(log_sum_exp(x, vocabulary) - x[targets[i]]);
  }
}
