/* The body of the quantized matmul for one instruction set: quantized.c includes it once per set with
 * LANES (floats per vector), TARGET (the functions' target attribute) and NAME defined. Not a header to
 * include anywhere else. Each block of a weight row is decoded to floats in an L1-resident buffer, then
 * dotted with up to FEW_QUANTIZED input rows, so the weights stream from memory once, at their stored size. */
#define PASTE_(a, b) a##b
#define PASTE(a, b) PASTE_(a, b)
#define VECTOR PASTE(NAME, _vector)
#define ROWS PASTE(NAME, _rows)
#define BLOCK(name) PASTE(NAME, PASTE(_, name))
#define BLOCK_ATTRIBUTES __attribute__((always_inline, target(TARGET)))
#include "quantized_blocks.h"

typedef float VECTOR __attribute__((vector_size(LANES * 4), aligned(4)));

/* out[r * out_features + j] for rows j in [first, last) and every input row r < n (n <= FEW_QUANTIZED).
 * `type` is a constant at each call site, so the block decoder is specialised per type. */
static inline __attribute__((always_inline, target(TARGET))) void ROWS(
    float *out, const float *inp, const uint8_t *weight, int type, int n, int in_features, int out_features,
    int first, int last) {
  const int values = block_values(type), bytes = block_bytes(type), blocks = in_features / values;
  const size_t row_bytes = (size_t)blocks * bytes;
  float decoded[256] __attribute__((aligned(64)));
  for (int j = first; j < last; j++) {
    const uint8_t *row = weight + (size_t)j * row_bytes;
    VECTOR sums[FEW_QUANTIZED] = {0};
    for (int b = 0; b < blocks; b++) {
      __builtin_prefetch(row + (size_t)(b + 4) * bytes);
      BLOCK(decode_block)(type, row + (size_t)b * bytes, decoded);
      for (int r = 0; r < n; r++) {
        const float *x = inp + (size_t)r * in_features + (size_t)b * values;
        VECTOR sum = sums[r];
        for (int c = 0; c < values; c += LANES)
          sum += *(const VECTOR *)(decoded + c) * *(const VECTOR *)(x + c);
        sums[r] = sum;
      }
    }
    for (int r = 0; r < n; r++) {
      float total = 0.0f;
      for (int lane = 0; lane < LANES; lane++) total += sums[r][lane];
      out[(size_t)r * out_features + j] = total;
    }
  }
}

static __attribute__((target(TARGET))) void NAME(float *out, const float *inp, const uint8_t *weight, int type,
                                                 int n, int in_features, int out_features) {
  /* chunks of 16 rows: enough work per chunk, and both threads finish together */
  int chunks = (out_features + 15) / 16;
  PARALLEL_FOR((size_t)n * out_features * in_features > ENOUGH_WORK)
  for (int chunk = 0; chunk < chunks; chunk++) {
    int first = chunk * 16, last = first + 16 < out_features ? first + 16 : out_features;
/* one decode step (n == 1) gets its own copy with the row loop gone */
#define CASE(T)                                                                     \
  case T:                                                                           \
    if (n == 1) ROWS(out, inp, weight, T, 1, in_features, out_features, first, last); \
    else ROWS(out, inp, weight, T, n, in_features, out_features, first, last);        \
    break;
    switch (type) {
      CASE(TYPE_Q8_0)
      CASE(TYPE_Q4_0)
      CASE(TYPE_Q4_1)
      CASE(TYPE_Q5_0)
      CASE(TYPE_Q5_1)
      CASE(TYPE_Q2_K)
      CASE(TYPE_Q3_K)
      CASE(TYPE_Q4_K)
      CASE(TYPE_Q5_K)
      CASE(TYPE_Q6_K)
    }
#undef CASE
  }
}

/* rows [first, last) of a quantized matrix to floats (row-major, in_features each) */
static __attribute__((target(TARGET))) void PASTE(NAME, _decode_rows)(float *out, const uint8_t *weight, int type,
                                                                     int in_features, int first, int last) {
  const int values = block_values(type), bytes = block_bytes(type), blocks = in_features / values;
  const size_t row_bytes = (size_t)blocks * bytes;
  PARALLEL_FOR((size_t)(last - first) * in_features > ENOUGH_WORK)
  for (int j = first; j < last; j++)
    for (int b = 0; b < blocks; b++)
      BLOCK(decode_block)(type, weight + (size_t)j * row_bytes + (size_t)b * bytes,
                   out + (size_t)(j - first) * in_features + (size_t)b * values);
}

#undef VECTOR
#undef ROWS
#undef BLOCK
#undef BLOCK_ATTRIBUTES
#undef PASTE
#undef PASTE_
