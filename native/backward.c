/* promptune native backward kernels: the mirrors of kernels.c's forward ops for frozen weights
 * (gradients to the inputs only). Gradients accumulate (+=), except rope_backward, which writes.
 * The JS twins in src/engine/kernels/js-backward.ts are the reference. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>

#include "kernels.h"
#include "parallel.h"
#include "rows.h"

void matmul_backward(float *dinp, const float *dout, const float *weight, int n, int in_features, int out_features) {
  sgemm_rows(0, n, in_features, out_features, dout, out_features, weight, in_features, 1.0f, dinp, in_features);
}

void rmsnorm_backward(float *dinp, const float *dout, const float *inp, const float *weight, const float *rstd, int n,
                      int channels) {
  PARALLEL_FOR((size_t)n * channels > ENOUGH_WORK)
  for (int i = 0; i < n; i++) {
    const float *x = inp + (size_t)i * channels, *d = dout + (size_t)i * channels;
    float *dx = dinp + (size_t)i * channels;
    double dot = 0.0;
    for (int c = 0; c < channels; c++) dot += (double)weight[c] * d[c] * x[c];
    float r = rstd[i];
    float scale = (float)(r * r * r * dot / channels);
    for (int c = 0; c < channels; c++) dx[c] += r * weight[c] * d[c] - scale * x[c];
  }
}

/* each channel sums over the rows on its own: threads split the channels, so no two write one sum */
void rmsnorm_weight_backward(float *dweight, const float *dout, const float *inp, const float *rstd, int n,
                             int channels) {
  PARALLEL_FOR((size_t)n * channels > ENOUGH_WORK)
  for (int c = 0; c < channels; c++) {
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += (double)dout[(size_t)i * channels + c] * inp[(size_t)i * channels + c] * rstd[i];
    dweight[c] += (float)sum;
  }
}

void rope_backward(float *dinp, const float *dout, const float *cosines, const float *sines, int n, int heads,
                   int head_dim, int rotary_dims, int interleaved) {
  int half = rotary_dims / 2;
  PARALLEL_FOR((size_t)n * heads * head_dim > ENOUGH_WORK)
  for (int i = 0; i < n; i++) {
    const float *cosine = cosines + (size_t)i * half, *sine = sines + (size_t)i * half;
    for (int h = 0; h < heads; h++) {
      const float *d = dout + ((size_t)i * heads + h) * head_dim;
      float *dx = dinp + ((size_t)i * heads + h) * head_dim;
      for (int f = 0; f < half; f++) {
        int first = interleaved ? 2 * f : f, second = interleaved ? 2 * f + 1 : f + half;
        float d0 = d[first], d1 = d[second];
        dx[first] = d0 * cosine[f] + d1 * sine[f];
        dx[second] = -d0 * sine[f] + d1 * cosine[f];
      }
      if (dx != d)
        for (int e = rotary_dims; e < head_dim; e++) dx[e] = d[e];
    }
  }
}

/* Per (batch row, key/value head), so heads sharing keys and values never write the same gradients
 * from two threads. Keys and values hold `slots` positions per row; query t of row b is at position
 * past_lengths[b] + t (NULL: t) and saw the keys up to it. P is recomputed from the scores and the
 * forward's log normalizers (keys within the window only); then dP = dO V^T; dV += P^T dO;
 * dS = P * (dP - rowsum(P * dP)) * scale, times 1 - tanh^2(score / softcap) under a soft cap; dQ += dS K;
 * dK += dS^T Q. */
int attention_backward(float *dquery, float *dkeys, float *dvalues, const float *dout, const float *log_sum_exps,
                       const float *query, const float *keys, const float *values, const int32_t *past_lengths,
                       int batch, int time, int slots, int heads, int kv_heads, int head_dim, int window, float scale,
                       float softcap) {
  int q_stride = heads * head_dim, kv_stride = kv_heads * head_dim, group = heads / kv_heads;
  int small = head_dim <= SMALL_HEAD;
  size_t per_thread = small ? small_heads_backward_scratch(head_dim, slots) : 3 * (size_t)time * slots;
  float *scratch = malloc(sizeof(float) * (size_t)thread_count() * per_thread);
  if (!scratch) return -1;
  int pairs = batch * kv_heads;
  PARALLEL_FOR(pairs > 1 && (size_t)batch * heads * time * slots * head_dim > ENOUGH_WORK)
  for (int pair = 0; pair < pairs; pair++) {
    int b = pair / kv_heads, kvh = pair % kv_heads;
    int past = past_lengths ? past_lengths[b] : 0;
    int visible = past + time < slots ? past + time : slots; /* keys any query of this row saw */
    const float *normalizers = log_sum_exps + (size_t)b * heads * time;
    size_t rows = (size_t)b * time, offset = (size_t)b * slots * kv_stride + (size_t)kvh * head_dim;
    if (small) {
      attention_backward_small_heads(dquery + rows * q_stride, dkeys + offset, dvalues + offset,
                                     dout + rows * q_stride, normalizers, query + rows * q_stride, keys + offset,
                                     values + offset, scratch + (size_t)thread_index() * per_thread, time, visible,
                                     past, kvh * group, group, q_stride, kv_stride, head_dim, window, scale, softcap);
      continue;
    }
    /* (time, visible) each: probabilities, their gradients, scores */
    float *p = scratch + (size_t)thread_index() * per_thread;
    float *dp = p + (size_t)time * visible, *scores = dp + (size_t)time * visible;
    const float *k = keys + offset, *v = values + offset;
    float *dk = dkeys + offset, *dv = dvalues + offset;
    for (int h = kvh * group; h < (kvh + 1) * group; h++) {
      const float *q = query + rows * q_stride + (size_t)h * head_dim;
      const float *d_out = dout + rows * q_stride + (size_t)h * head_dim;
      float *dq = dquery + rows * q_stride + (size_t)h * head_dim;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, time, visible, head_dim, scale, q, q_stride, k, kv_stride,
                  0.0f, scores, visible);
      for (int t = 0; t < time; t++) {
        int last = past + t < visible ? past + t : visible - 1;
        int first = window > 0 && last - window + 1 > 0 ? last - window + 1 : 0;
        probabilities_span(p + (size_t)t * visible, scores + (size_t)t * visible, first, last, visible,
                           normalizers[(size_t)h * time + t], softcap);
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, time, visible, head_dim, 1.0f, d_out, q_stride, v,
                  kv_stride, 0.0f, dp, visible);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, visible, head_dim, time, 1.0f, p, visible, d_out, q_stride,
                  1.0f, dv, kv_stride);
      for (int t = 0; t < time; t++) {
        int last = past + t < visible ? past + t : visible - 1;
        const float *prow = p + (size_t)t * visible;
        float *drow = dp + (size_t)t * visible;
        double weighted = 0.0;
        for (int j = 0; j <= last; j++) weighted += (double)prow[j] * drow[j];
        for (int j = 0; j <= last; j++) drow[j] = prow[j] * (drow[j] - (float)weighted) * scale;
        if (softcap > 0.0f) {
          const float *srow = scores + (size_t)t * visible;
          for (int j = 0; j <= last; j++) {
            float capped = tanhf(srow[j] / softcap);
            drow[j] *= 1.0f - capped * capped;
          }
        }
        for (int j = last + 1; j < visible; j++) drow[j] = 0.0f;
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, time, head_dim, visible, 1.0f, dp, visible, k, kv_stride,
                  1.0f, dq, q_stride);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, visible, head_dim, time, 1.0f, dp, visible, q, q_stride,
                  1.0f, dk, kv_stride);
    }
  }
  free(scratch);
  return 0;
}

void swiglu_backward(float *dgate, float *dup, const float *dout, const float *gate, const float *up, int n) {
  int spans = (n + SPAN - 1) / SPAN;
  PARALLEL_FOR(n > ENOUGH_WORK)
  for (int s = 0; s < spans; s++) {
    size_t at = (size_t)s * SPAN;
    swiglu_backward_span(dgate + at, dup + at, dout + at, gate + at, up + at, n - (int)at < SPAN ? n - (int)at : SPAN);
  }
}

void geglu_backward(float *dgate, float *dup, const float *dout, const float *gate, const float *up, int n) {
  PARALLEL_FOR(n > ENOUGH_WORK)
  for (int i = 0; i < n; i++) {
    float g = gate[i];
    float inner = GELU_SQRT_2_OVER_PI * (g + GELU_CUBIC * g * g * g);
    float t = tanhf(inner);
    float gelu = 0.5f * g * (1.0f + t);
    float slope = 0.5f * (1.0f + t) + 0.5f * g * (1.0f - t * t) * GELU_SQRT_2_OVER_PI * (1.0f + 3.0f * GELU_CUBIC * g * g);
    dgate[i] += dout[i] * up[i] * slope;
    dup[i] += dout[i] * gelu;
  }
}

/* dinp = dout * (1 - (out / cap)^2), from softcap_forward's output; dinp may equal dout. */
void softcap_backward(float *dinp, const float *dout, const float *out, float cap, int n) {
  PARALLEL_FOR(n > ENOUGH_WORK)
  for (int i = 0; i < n; i++) {
    float t = out[i] / cap;
    dinp[i] = dout[i] * (1.0f - t * t);
  }
}

void cross_entropy_backward(float *dlogits, const float *dlosses, const float *logits, const int32_t *targets, int n,
                            int vocabulary) {
  PARALLEL_FOR((size_t)n * vocabulary > ENOUGH_WORK)
  for (int i = 0; i < n; i++) {
    if (targets[i] < 0) continue;
    const float *x = logits + (size_t)i * vocabulary;
    float *dx = dlogits + (size_t)i * vocabulary;
    float maximum = -INFINITY;
    for (int j = 0; j < vocabulary; j++)
      if (x[j] > maximum) maximum = x[j];
    double sum = 0.0;
    for (int j = 0; j < vocabulary; j++) sum += exp((double)x[j] - maximum);
    for (int j = 0; j < vocabulary; j++) {
      float probability = (float)(exp((double)x[j] - maximum) / sum);
      dx[j] += dlosses[i] * (probability - (j == targets[i] ? 1.0f : 0.0f));
    }
  }
}
