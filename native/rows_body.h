/* Row kernels for one instruction set: rows.c includes this once per set with NAME (a suffix) and TARGET
 * (the functions' target attribute) defined. Loops are written for the compiler to vectorize (`omp
 * simd`), with exp_vectorizable in place of expf. Not a header to include anywhere else. */
#define PASTE_(a, b) a##b
#define PASTE(a, b) PASTE_(a, b)

/* cap * tanh(x / cap) over x[from..to), as 1 - 2 / (exp(2x / cap) + 1) to stay vectorizable. */
static inline __attribute__((always_inline, target(TARGET))) void PASTE(soft_cap_, NAME)(float *x, int from, int to,
                                                                                       float cap) {
  PRAGMA(omp simd)
  for (int j = from; j < to; j++) {
    float e = exp_vectorizable(2.0f * x[j] / cap);
    x[j] = cap * (1.0f - 2.0f / (e + 1.0f));
  }
}

/* Softmax of row[first..last] in place (entries with key_mask 0 get 0; with softcap > 0 the scores are
 * first capped to softcap * tanh(score / softcap)); the rest of the row's `length` entries are set to 0.
 * The work runs over the whole blocks of BLOCK around first..last (clipped to `length`), so its loops have
 * no scalar remainders. Returns the log of the normalizer (maximum + log of the sum), -infinity when every
 * key is masked. */
static __attribute__((target(TARGET))) float PASTE(softmax_span_, NAME)(float *row, int first, int last, int length,
                                                                        const uint8_t *mask, float softcap) {
  int from = first / BLOCK * BLOCK, to = (last / BLOCK + 1) * BLOCK;
  if (to > length) to = length;
  if (softcap > 0.0f) PASTE(soft_cap_, NAME)(row, first, last + 1, softcap);
  /* keys outside first..last, or masked, get -infinity, and then an exp of exactly 0 */
  if (mask)
    for (int j = first; j <= last; j++)
      if (!mask[j]) row[j] = -INFINITY;
  PRAGMA(omp simd)
  for (int j = from; j < to; j++) row[j] = j >= first && j <= last ? row[j] : -INFINITY;
  float maximum = -INFINITY;
  PRAGMA(omp simd reduction(max : maximum))
  for (int j = from; j < to; j++) maximum = row[j] > maximum ? row[j] : maximum;
  if (maximum == -INFINITY) { /* every key masked: no attention at all */
    for (int j = 0; j < length; j++) row[j] = 0.0f;
    return -INFINITY;
  }
  float sum = 0.0f;
  PRAGMA(omp simd reduction(+ : sum))
  for (int j = from; j < to; j++) {
    float e = row[j] == -INFINITY ? 0.0f : exp_vectorizable(row[j] - maximum);
    row[j] = e;
    sum += e;
  }
  float inverse = 1.0f / sum;
  for (int j = 0; j < from; j++) row[j] = 0.0f;
  PRAGMA(omp simd)
  for (int j = from; j < to; j++) row[j] *= inverse;
  for (int j = to; j < length; j++) row[j] = 0.0f;
  return maximum + logf(sum);
}

/* The attention weights again from the scores and the forward's log normalizer: p[j] = exp(capped score
 * - normalizer) over first..last, 0 elsewhere in the row's `length`. */
static __attribute__((target(TARGET))) void PASTE(probabilities_span_, NAME)(float *p, const float *scores, int first,
                                                                             int last, int length, float normalizer,
                                                                             float softcap) {
  PRAGMA(omp simd)
  for (int j = 0; j < length; j++) p[j] = scores[j];
  if (softcap > 0.0f) PASTE(soft_cap_, NAME)(p, first, last + 1, softcap);
  PRAGMA(omp simd)
  for (int j = 0; j < length; j++)
    p[j] = j >= first && j <= last && normalizer != -INFINITY ? exp_vectorizable(p[j] - normalizer) : 0.0f;
}

static __attribute__((target(TARGET))) void PASTE(swiglu_span_, NAME)(float *out, const float *gate, const float *up,
                                                                      int n) {
  PRAGMA(omp simd)
  for (int i = 0; i < n; i++) {
    float g = gate[i];
    out[i] = g / (1.0f + exp_vectorizable(-g)) * up[i];
  }
}

static __attribute__((target(TARGET))) void PASTE(swiglu_backward_span_, NAME)(float *dgate, float *dup,
                                                                               const float *dout, const float *gate,
                                                                               const float *up, int n) {
  PRAGMA(omp simd)
  for (int i = 0; i < n; i++) {
    float g = gate[i];
    float sigmoid = 1.0f / (1.0f + exp_vectorizable(-g));
    dgate[i] += dout[i] * up[i] * sigmoid * (1.0f + g * (1.0f - sigmoid));
    dup[i] += dout[i] * g * sigmoid;
  }
}

/* s[from..to) = scale * q . keys, the keys transposed to (head_dim, width): vectors along the keys, the
 * sum over the head in registers. Inlined with a constant head_dim (8) or the runtime one. */
static inline __attribute__((always_inline, target(TARGET))) void PASTE(scores_, NAME)(
    float *s, const float *query, const float *kt, int from, int to, int width, float scale, int head_dim) {
  float scaled[SMALL_HEAD];
  for (int d = 0; d < head_dim; d++) scaled[d] = query[d] * scale;
  PRAGMA(omp simd)
  for (int j = from; j < to; j++) {
    float total = 0.0f;
    for (int d = 0; d < head_dim; d++) total += scaled[d] * kt[(size_t)d * width + j];
    s[j] = total;
  }
}

/* output (head_dim) = sum over keys first..last of p[j] * value j: vectors along the head, one key at a
 * time into four accumulators (independent chains hide the multiply-add latency; horizontal sums along
 * the keys would cost more than the products at these sizes). */
static inline __attribute__((always_inline, target(TARGET))) void PASTE(weighted_values_, NAME)(
    float *output, const float *p, const float *v, int first, int last, int kv_stride, int head_dim) {
  float sums[4][SMALL_HEAD] = {{0}};
  int j = first;
  for (; j + 3 <= last; j += 4) {
    const float *row = v + (size_t)j * kv_stride;
    for (int lane = 0; lane < 4; lane++) {
      float weight = p[j + lane];
      const float *value = row + (size_t)lane * kv_stride;
      PRAGMA(omp simd)
      for (int d = 0; d < head_dim; d++) sums[lane][d] += weight * value[d];
    }
  }
  for (; j <= last; j++) {
    const float *value = v + (size_t)j * kv_stride;
    PRAGMA(omp simd)
    for (int d = 0; d < head_dim; d++) sums[0][d] += p[j] * value[d];
  }
  for (int d = 0; d < head_dim; d++) output[d] = (sums[0][d] + sums[1][d]) + (sums[2][d] + sums[3][d]);
}

/* One query head's attention over `visible` keys when heads are small (head_dim <= SMALL_HEAD): keys are
 * first transposed to (head_dim, width), width = visible rounded up to whole blocks of BLOCK and
 * zero-padded, so the scores run along the keys, full vectors wide and without remainder loops, instead
 * of along 8 or 16 head dimensions. Each row's scores are computed for whole blocks around the keys it
 * sees, the others set to 0 after the exp. With log_sum_exp, each query's log normalizer is kept there
 * (time) for the backward; scratch holds small_heads_scratch(head_dim, visible) floats. */
static __attribute__((target(TARGET))) void PASTE(attention_small_heads_, NAME)(
    float *o, float *log_sum_exp, const float *q, const float *k, const float *v, float *scratch,
    const uint8_t *mask, int time, int visible, int past, int q_stride, int kv_stride, int head_dim, int window,
    float scale, float softcap) {
  int width = (visible + BLOCK - 1) / BLOCK * BLOCK;
  float *kt = scratch, *s = scratch + (size_t)head_dim * width;
  for (int d = 0; d < head_dim; d++)
    for (int j = visible; j < width; j++) kt[(size_t)d * width + j] = 0.0f;
  for (int j = 0; j < visible; j++)
    for (int d = 0; d < head_dim; d++) kt[(size_t)d * width + j] = k[(size_t)j * kv_stride + d];
  for (int t = 0; t < time; t++) {
    const float *query = q + (size_t)t * q_stride;
    float *output = o + (size_t)t * q_stride;
    int last = past + t < visible ? past + t : visible - 1;
    int first = window > 0 && last - window + 1 > 0 ? last - window + 1 : 0;
    int from = first / BLOCK * BLOCK, to = (last / BLOCK + 1) * BLOCK; /* whole blocks, within width */
    if (head_dim == 8) PASTE(scores_, NAME)(s, query, kt, from, to, width, scale, 8);
    else PASTE(scores_, NAME)(s, query, kt, from, to, width, scale, head_dim);
    /* the softmax of the row's own blocks only (offset, so nothing outside them is touched) */
    float normalizer =
        PASTE(softmax_span_, NAME)(s + from, first - from, last - from, to - from, mask ? mask + from : NULL, softcap);
    if (log_sum_exp) log_sum_exp[t] = normalizer;
    if (normalizer == -INFINITY) { /* every key masked: no attention at all */
      for (int d = 0; d < head_dim; d++) output[d] = 0.0f;
      continue;
    }
    if (head_dim == 8) PASTE(weighted_values_, NAME)(output, s, v, first, last, kv_stride, 8);
    else PASTE(weighted_values_, NAME)(output, s, v, first, last, kv_stride, head_dim);
  }
}

/* The backward of attention for one (batch row, key/value head) pair when heads are small, the mirror of
 * attention_small_heads: the `visible` keys and values transposed to (head_dim, width), and their gradients
 * gathered the same way, so the products run along the keys. Query t is at position past + t. For each
 * query head of the group and each query t, the probabilities are recomputed from the scores and the
 * forward's log normalizer, then dP = dO V^T, dV += P^T dO, dS = P * (dP - sum(P * dP)) * scale (times
 * 1 - tanh^2 under a soft cap), dQ += dS K, dK += dS^T Q. Pointers are at the pair's first row and head
 * (log_sum_exps at the row's first head); scratch holds small_heads_backward_scratch(head_dim, visible) floats. */
static __attribute__((target(TARGET))) void PASTE(attention_backward_small_heads_, NAME)(
    float *dquery, float *dk, float *dv, const float *dout, const float *log_sum_exps, const float *query,
    const float *k, const float *v, float *scratch, int time, int visible, int past, int first_head, int group,
    int q_stride, int kv_stride, int head_dim, int window, float scale, float softcap) {
  int width = (visible + BLOCK - 1) / BLOCK * BLOCK;
  size_t plane = (size_t)head_dim * width;
  float *kt = scratch, *vt = kt + plane, *dkt = vt + plane, *dvt = dkt + plane;
  float *dp = dvt + plane, *p = dp + width, *raw = p + width;
  for (size_t i = 0; i < 4 * plane; i++) kt[i] = 0.0f; /* the padding of kt and vt, and dkt, dvt */
  for (int j = 0; j < visible; j++)
    for (int d = 0; d < head_dim; d++) {
      kt[(size_t)d * width + j] = k[(size_t)j * kv_stride + d];
      vt[(size_t)d * width + j] = v[(size_t)j * kv_stride + d];
    }
  for (int h = first_head; h < first_head + group; h++) {
    for (int t = 0; t < time; t++) {
      const float *d_out = dout + (size_t)t * q_stride + (size_t)h * head_dim;
      const float *q = query + (size_t)t * q_stride + (size_t)h * head_dim;
      float *dq = dquery + (size_t)t * q_stride + (size_t)h * head_dim;
      float normalizer = log_sum_exps[(size_t)h * time + t];
      if (normalizer == -INFINITY) continue; /* saw no key: no gradient */
      int last = past + t < visible ? past + t : visible - 1;
      int first = window > 0 && last - window + 1 > 0 ? last - window + 1 : 0;
      int to = (last / BLOCK + 1) * BLOCK; /* keys 0..last, in whole blocks */
      /* the probabilities again: exp(capped score - log normalizer) over first..last */
      if (head_dim == 8) PASTE(scores_, NAME)(raw, q, kt, 0, to, width, scale, 8);
      else PASTE(scores_, NAME)(raw, q, kt, 0, to, width, scale, head_dim);
      PASTE(probabilities_span_, NAME)(p, raw, first, last, to, normalizer, softcap);
      if (head_dim == 8) PASTE(scores_, NAME)(dp, d_out, vt, 0, to, width, 1.0f, 8);
      else PASTE(scores_, NAME)(dp, d_out, vt, 0, to, width, 1.0f, head_dim);
      for (int d = 0; d < head_dim; d++) {
        float g = d_out[d];
        float *column = dvt + (size_t)d * width;
        PRAGMA(omp simd)
        for (int j = 0; j < to; j++) column[j] += p[j] * g;
      }
      float weighted = 0.0f;
      PRAGMA(omp simd reduction(+ : weighted))
      for (int j = 0; j < to; j++) weighted += p[j] * dp[j];
      PRAGMA(omp simd)
      for (int j = 0; j < to; j++) dp[j] = p[j] * (dp[j] - weighted) * scale;
      if (softcap > 0.0f) {
        PASTE(soft_cap_, NAME)(raw, 0, to, softcap);
        PRAGMA(omp simd)
        for (int j = 0; j < to; j++) {
          float capped = raw[j] / softcap;
          dp[j] *= 1.0f - capped * capped;
        }
      }
      float total[SMALL_HEAD];
      if (head_dim == 8) PASTE(weighted_values_, NAME)(total, dp, k, first, last, kv_stride, 8);
      else PASTE(weighted_values_, NAME)(total, dp, k, first, last, kv_stride, head_dim);
      for (int d = 0; d < head_dim; d++) dq[d] += total[d];
      for (int d = 0; d < head_dim; d++) {
        float x = q[d];
        float *column = dkt + (size_t)d * width;
        PRAGMA(omp simd)
        for (int j = 0; j < to; j++) column[j] += dp[j] * x;
      }
    }
  }
  for (int j = 0; j < visible; j++)
    for (int d = 0; d < head_dim; d++) {
      dk[(size_t)j * kv_stride + d] += dkt[(size_t)d * width + j];
      dv[(size_t)j * kv_stride + d] += dvt[(size_t)d * width + j];
    }
}

#undef PASTE
#undef PASTE_
