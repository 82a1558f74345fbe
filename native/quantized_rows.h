/* The decode-step product at one vector width: quantized_intrinsics.c (AVX2, WIDTH 8) and
 * quantized_intrinsics512.c (AVX-512, WIDTH 16) include it with WIDTH, FLOATS, TARGET_NAME and SUFFIX
 * defined. Blocks are unpacked to bytes (quantized_unpack.h), converted to floats at this width, and dotted
 * with up to eight input rows. Not a header to include anywhere else. */
#define PASTE_(a, b) a##b
#define PASTE(a, b) PASTE_(a, b)
#define KERNEL __attribute__((always_inline, target(TARGET_NAME))) static inline
/* float vectors per 32 codes */
#define PER32 (32 / WIDTH)

#if WIDTH == 8
KERNEL FLOATS widen(__m128i eight_bytes, int is_signed) {
  return _mm256_cvtepi32_ps(is_signed ? _mm256_cvtepi8_epi32(eight_bytes) : _mm256_cvtepu8_epi32(eight_bytes));
}
/* 32 codes to PER32 float vectors of codes[i] * scale[i / 16] + shift[i / 16] */
KERNEL void to_floats(__m256i codes, int is_signed, float first_scale, float second_scale, float first_shift,
                      float second_shift, FLOATS *v) {
  __m128i low = _mm256_castsi256_si128(codes), high = _mm256_extracti128_si256(codes, 1);
  __m256 a = _mm256_set1_ps(first_scale), b = _mm256_set1_ps(second_scale);
  __m256 c = _mm256_set1_ps(first_shift), d = _mm256_set1_ps(second_shift);
  v[0] = _mm256_fmadd_ps(widen(low, is_signed), a, c);
  v[1] = _mm256_fmadd_ps(widen(_mm_srli_si128(low, 8), is_signed), a, c);
  v[2] = _mm256_fmadd_ps(widen(high, is_signed), b, d);
  v[3] = _mm256_fmadd_ps(widen(_mm_srli_si128(high, 8), is_signed), b, d);
}
#define FMA _mm256_fmadd_ps
#define LOAD _mm256_loadu_ps
#define STORE _mm256_storeu_ps
#define ZERO _mm256_setzero_ps
KERNEL float reduce(__m256 v) {
  __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
  return _mm_cvtss_f32(sum);
}
#else
KERNEL FLOATS widen(__m128i sixteen_bytes, int is_signed) {
  return _mm512_cvtepi32_ps(is_signed ? _mm512_cvtepi8_epi32(sixteen_bytes) : _mm512_cvtepu8_epi32(sixteen_bytes));
}
KERNEL void to_floats(__m256i codes, int is_signed, float first_scale, float second_scale, float first_shift,
                      float second_shift, FLOATS *v) {
  v[0] = _mm512_fmadd_ps(widen(_mm256_castsi256_si128(codes), is_signed), _mm512_set1_ps(first_scale),
                         _mm512_set1_ps(first_shift));
  v[1] = _mm512_fmadd_ps(widen(_mm256_extracti128_si256(codes, 1), is_signed), _mm512_set1_ps(second_scale),
                         _mm512_set1_ps(second_shift));
}
#define FMA _mm512_fmadd_ps
#define LOAD _mm512_loadu_ps
#define STORE _mm512_storeu_ps
#define ZERO _mm512_setzero_ps
KERNEL float reduce(__m512 v) { return _mm512_reduce_add_ps(v); }
#endif

/* one block to float vectors (8 * PER32 of them for 256 values, PER32 for 32) */
KERNEL void decode(int type, const uint8_t *block, FLOATS *v) {
  if (type == TYPE_Q4_K || type == TYPE_Q5_K) {
    for (int pair = 0; pair < 4; pair++) {
      __m256i codes[2];
      float scales[2], minimums[2];
      unpack_q4_q5_k(type == TYPE_Q5_K, block, pair, codes, scales, minimums);
      to_floats(codes[0], 0, scales[0], scales[0], -minimums[0], -minimums[0], v + (2 * pair) * PER32);
      to_floats(codes[1], 0, scales[1], scales[1], -minimums[1], -minimums[1], v + (2 * pair + 1) * PER32);
    }
  } else if (type == TYPE_Q6_K) {
    for (int half_block = 0; half_block < 2; half_block++) {
      __m256i codes[4];
      float scales[8];
      unpack_q6_k(block, half_block, codes, scales);
      for (int group = 0; group < 4; group++)
        to_floats(codes[group], 1, scales[2 * group], scales[2 * group + 1], 0.0f, 0.0f,
                  v + (4 * half_block + group) * PER32);
    }
  } else {
    float scale;
    __m256i codes = unpack32(type, block, &scale);
    to_floats(codes, 1, scale, scale, 0.0f, 0.0f, v);
  }
}

/* rows [first, last) of the product for a constant `type` and n input rows (n <= 8) */
KERNEL void rows(float *out, const float *inp, const uint8_t *weight, int type, int n, int in_features,
                 int out_features, int first, int last) {
  const int values = block_values(type), bytes = block_bytes(type), blocks = in_features / values;
  const int vectors = values / WIDTH;
  const size_t row_bytes = (size_t)blocks * bytes;
  FLOATS v[256 / WIDTH];
  for (int j = first; j < last; j++) {
    const uint8_t *row = weight + (size_t)j * row_bytes;
    FLOATS sums[8];
    for (int r = 0; r < n; r++) sums[r] = ZERO();
    for (int b = 0; b < blocks; b++) {
      const uint8_t *block = row + (size_t)b * bytes;
      _mm_prefetch((const char *)(block + 4 * (size_t)bytes), _MM_HINT_T0);
      decode(type, block, v);
      for (int r = 0; r < n; r++) {
        const float *x = inp + (size_t)r * in_features + (size_t)b * values;
        FLOATS sum = sums[r];
        for (int k = 0; k < vectors; k++) sum = FMA(v[k], LOAD(x + WIDTH * k), sum);
        sums[r] = sum;
      }
    }
    for (int r = 0; r < n; r++) out[(size_t)r * out_features + j] = reduce(sums[r]);
  }
}

__attribute__((target(TARGET_NAME))) void PASTE(quantized_rows_, SUFFIX)(float *out, const float *inp,
                                                                          const uint8_t *weight, int type, int n,
                                                                          int in_features, int out_features) {
  int chunks = (out_features + 15) / 16;
  PARALLEL_FOR((size_t)n * out_features * in_features > ENOUGH_WORK)
  for (int chunk = 0; chunk < chunks; chunk++) {
    int first = chunk * 16, last = first + 16 < out_features ? first + 16 : out_features;
#define CASE(T)                                                                      \
  case T:                                                                            \
    if (n == 1) rows(out, inp, weight, T, 1, in_features, out_features, first, last); \
    else rows(out, inp, weight, T, n, in_features, out_features, first, last);        \
    break;
    switch (type) {
      CASE(TYPE_Q8_0)
      CASE(TYPE_Q5_0)
      CASE(TYPE_Q4_K)
      CASE(TYPE_Q5_K)
      CASE(TYPE_Q6_K)
    }
#undef CASE
  }
}

/* rows [first, last) of a quantized matrix to floats (for the tiled sgemm path of prefill and training) */
__attribute__((target(TARGET_NAME))) void PASTE(quantized_decode_rows_, SUFFIX)(float *out, const uint8_t *weight,
                                                                                 int type, int in_features,
                                                                                 int first, int last) {
  const int values = block_values(type), bytes = block_bytes(type), blocks = in_features / values;
  const size_t row_bytes = (size_t)blocks * bytes;
  PARALLEL_FOR((size_t)(last - first) * in_features > ENOUGH_WORK)
  for (int j = first; j < last; j++) {
    FLOATS v[256 / WIDTH];
    for (int b = 0; b < blocks; b++) {
      decode(type, weight + (size_t)j * row_bytes + (size_t)b * bytes, v);
      float *to = out + (size_t)(j - first) * in_features + (size_t)b * values;
      for (int k = 0; k < values / WIDTH; k++) STORE(to + WIDTH * k, v[k]);
    }
  }
}
