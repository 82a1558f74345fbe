/* The decode-step product (a few input rows) for the block types most files are made of — Q8_0, Q4_0,
 * Q5_0, Q4_K and Q6_K — written with AVX2 intrinsics: each block is unpacked to float vectors in
 * registers and dotted with every input row, so the weights stream from memory once, at their stored size.
 * The compiler's vectorization of the generic decoders (quantized_blocks.h) was fast for some types and
 * 5-15x slower for others; this is the same arithmetic, spelled out. Other types and CPUs without AVX2
 * take the generic path. Used on AVX-512 machines too (the 256-bit code is not the bottleneck). */
#include "quantized_intrinsics.h"

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#include "parallel.h"
#include "quantized_types.h"

#define AVX2 __attribute__((target("avx2,fma,f16c")))
#define INLINE_AVX2 __attribute__((always_inline, target("avx2,fma,f16c"))) static inline

INLINE_AVX2 float half(const uint8_t *at) { return _cvtsh_ss((uint16_t)(at[0] | (at[1] << 8))); }

/* 8 bytes (signed or unsigned) from `at` to 8 floats */
INLINE_AVX2 __m256 signed8(__m128i bytes) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes)); }
INLINE_AVX2 __m256 unsigned8(__m128i bytes) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes)); }

/* 32 signed codes (a __m256i of bytes) to four float vectors times `scale` */
INLINE_AVX2 void bytes_to_floats(__m256i codes, __m256 scale, __m256 *v) {
  __m128i low = _mm256_castsi256_si128(codes), high = _mm256_extracti128_si256(codes, 1);
  v[0] = _mm256_mul_ps(signed8(low), scale);
  v[1] = _mm256_mul_ps(signed8(_mm_srli_si128(low, 8)), scale);
  v[2] = _mm256_mul_ps(signed8(high), scale);
  v[3] = _mm256_mul_ps(signed8(_mm_srli_si128(high, 8)), scale);
}

/* the 32 bits of `bits` as 32 bytes, 0xff where the bit is set (bit j to byte j) */
INLINE_AVX2 __m256i bits_to_bytes(uint32_t bits) {
  const __m256i shuffle = _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101, 0x0202020202020202,
                                             0x0303030303030303);
  __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), shuffle);
  const __m256i mask = _mm256_set1_epi64x((long long)0x7fbfdfeff7fbfdfe);
  return _mm256_cmpeq_epi8(_mm256_or_si256(spread, mask), _mm256_set1_epi64x(-1));
}

/* a 16-byte packed nibble array to 32 bytes: low nibbles first (values j), then high nibbles (j + 16) */
INLINE_AVX2 __m256i nibbles(const uint8_t *at) {
  __m128i packed = _mm_loadu_si128((const __m128i *)at);
  __m128i low = _mm_and_si128(packed, _mm_set1_epi8(0x0f));
  __m128i high = _mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0x0f));
  return _mm256_set_m128i(high, low);
}

/* one 32-value block of Q8_0, Q4_0 or Q5_0 to four float vectors */
INLINE_AVX2 void decode32(int type, const uint8_t *block, __m256 *v) {
  __m256 scale = _mm256_set1_ps(half(block));
  __m256i codes;
  if (type == TYPE_Q8_0) {
    codes = _mm256_loadu_si256((const __m256i *)(block + 2));
  } else if (type == TYPE_Q4_0) {
    codes = _mm256_sub_epi8(nibbles(block + 2), _mm256_set1_epi8(8));
  } else { /* Q5_0: the fifth bits, 0x10 where set, then minus 16 */
    uint32_t high = (uint32_t)block[2] | ((uint32_t)block[3] << 8) | ((uint32_t)block[4] << 16) |
                    ((uint32_t)block[5] << 24);
    __m256i fifth = _mm256_and_si256(bits_to_bytes(high), _mm256_set1_epi8(0x10));
    codes = _mm256_sub_epi8(_mm256_or_si256(nibbles(block + 6), fifth), _mm256_set1_epi8(16));
  }
  bytes_to_floats(codes, scale, v);
}

/* Q4_K/Q5_K's 6-bit scale and minimum of sub-block j */
INLINE_AVX2 void scale_and_minimum(const uint8_t *packed, int j, int *scale, int *minimum) {
  if (j < 4) {
    *scale = packed[j] & 63;
    *minimum = packed[j + 4] & 63;
  } else {
    *scale = (packed[j + 4] & 0x0f) | ((packed[j - 4] >> 6) << 4);
    *minimum = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
  }
}

/* 32 unsigned codes to four float vectors of scale * code - minimum */
INLINE_AVX2 void codes_to_floats(__m256i codes, float scale, float minimum, __m256 *v) {
  __m256 s = _mm256_set1_ps(scale), m = _mm256_set1_ps(-minimum);
  __m128i low = _mm256_castsi256_si128(codes), high = _mm256_extracti128_si256(codes, 1);
  v[0] = _mm256_fmadd_ps(unsigned8(low), s, m);
  v[1] = _mm256_fmadd_ps(unsigned8(_mm_srli_si128(low, 8)), s, m);
  v[2] = _mm256_fmadd_ps(unsigned8(high), s, m);
  v[3] = _mm256_fmadd_ps(unsigned8(_mm_srli_si128(high, 8)), s, m);
}

/* one 256-value Q4_K block to 32 float vectors */
INLINE_AVX2 void decode_q4_k(const uint8_t *block, __m256 *v) {
  float d = half(block), min = half(block + 2);
  const uint8_t *packed = block + 4, *codes = block + 16;
  for (int pair = 0; pair < 4; pair++) {
    __m256i bytes = _mm256_loadu_si256((const __m256i *)(codes + 32 * pair));
    __m256i low = _mm256_and_si256(bytes, _mm256_set1_epi8(0x0f));
    __m256i high = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), _mm256_set1_epi8(0x0f));
    int scale, minimum;
    scale_and_minimum(packed, 2 * pair, &scale, &minimum);
    codes_to_floats(low, d * (float)scale, min * (float)minimum, v + 8 * pair);
    scale_and_minimum(packed, 2 * pair + 1, &scale, &minimum);
    codes_to_floats(high, d * (float)scale, min * (float)minimum, v + 8 * pair + 4);
  }
}

/* 32 codes (bytes, 0..63) minus 32, times a scale per 16 values */
INLINE_AVX2 void six_bit_to_floats(__m256i codes, float first, float second, __m256 *v) {
  __m256i centered = _mm256_sub_epi8(codes, _mm256_set1_epi8(32));
  __m128i low = _mm256_castsi256_si128(centered), high = _mm256_extracti128_si256(centered, 1);
  __m256 a = _mm256_set1_ps(first), b = _mm256_set1_ps(second);
  v[0] = _mm256_mul_ps(signed8(low), a);
  v[1] = _mm256_mul_ps(signed8(_mm_srli_si128(low, 8)), a);
  v[2] = _mm256_mul_ps(signed8(high), b);
  v[3] = _mm256_mul_ps(signed8(_mm_srli_si128(high, 8)), b);
}

/* one 256-value Q6_K block to 32 float vectors */
INLINE_AVX2 void decode_q6_k(const uint8_t *block, __m256 *v) {
  float d = half(block + 208);
  const int8_t *scales = (const int8_t *)(block + 192);
  const __m256i low_mask = _mm256_set1_epi8(0x0f), two_bits = _mm256_set1_epi8(3);
  for (int half_block = 0; half_block < 2; half_block++) {
    const uint8_t *low = block + 64 * half_block, *high = block + 128 + 32 * half_block;
    const int8_t *sc = scales + 8 * half_block;
    __m256i first = _mm256_loadu_si256((const __m256i *)low), second = _mm256_loadu_si256((const __m256i *)(low + 32));
    __m256i h = _mm256_loadu_si256((const __m256i *)high);
    __m256i h0 = _mm256_slli_epi16(_mm256_and_si256(h, two_bits), 4);
    __m256i h1 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), two_bits), 4);
    __m256i h2 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), two_bits), 4);
    __m256i h3 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), two_bits), 4);
    __m256i q1 = _mm256_or_si256(_mm256_and_si256(first, low_mask), h0);
    __m256i q2 = _mm256_or_si256(_mm256_and_si256(second, low_mask), h1);
    __m256i q3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(first, 4), low_mask), h2);
    __m256i q4 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(second, 4), low_mask), h3);
    __m256 *y = v + 16 * half_block;
    six_bit_to_floats(q1, d * (float)sc[0], d * (float)sc[1], y);
    six_bit_to_floats(q2, d * (float)sc[2], d * (float)sc[3], y + 4);
    six_bit_to_floats(q3, d * (float)sc[4], d * (float)sc[5], y + 8);
    six_bit_to_floats(q4, d * (float)sc[6], d * (float)sc[7], y + 12);
  }
}

INLINE_AVX2 float horizontal_sum(__m256 v) {
  __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
  return _mm_cvtss_f32(sum);
}

/* rows [first, last) of the product for a constant `type` and n input rows (n <= 8) */
INLINE_AVX2 void rows(float *out, const float *inp, const uint8_t *weight, int type, int n, int in_features,
                      int out_features, int first, int last) {
  const int values = block_values(type), bytes = block_bytes(type), blocks = in_features / values;
  const int vectors = values / 8;
  const size_t row_bytes = (size_t)blocks * bytes;
  __m256 v[32];
  for (int j = first; j < last; j++) {
    const uint8_t *row = weight + (size_t)j * row_bytes;
    __m256 sums[8];
    for (int r = 0; r < n; r++) sums[r] = _mm256_setzero_ps();
    for (int b = 0; b < blocks; b++) {
      const uint8_t *block = row + (size_t)b * bytes;
      _mm_prefetch((const char *)(block + 4 * (size_t)bytes), _MM_HINT_T0);
      if (type == TYPE_Q4_K) decode_q4_k(block, v);
      else if (type == TYPE_Q6_K) decode_q6_k(block, v);
      else decode32(type, block, v);
      for (int r = 0; r < n; r++) {
        const float *x = inp + (size_t)r * in_features + (size_t)b * values;
        __m256 sum = sums[r];
        for (int k = 0; k < vectors; k++) sum = _mm256_fmadd_ps(v[k], _mm256_loadu_ps(x + 8 * k), sum);
        sums[r] = sum;
      }
    }
    for (int r = 0; r < n; r++) out[(size_t)r * out_features + j] = horizontal_sum(sums[r]);
  }
}

int quantized_intrinsics_handles(int type) {
  /* Q4_0 and Q4_1: the generic decoders vectorize well (and use AVX-512 where it is) */
  return type == TYPE_Q8_0 || type == TYPE_Q5_0 || type == TYPE_Q4_K || type == TYPE_Q6_K;
}

AVX2 void quantized_intrinsics_rows(float *out, const float *inp, const uint8_t *weight, int type, int n,
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
      CASE(TYPE_Q4_0)
      CASE(TYPE_Q5_0)
      CASE(TYPE_Q4_K)
      CASE(TYPE_Q6_K)
    }
#undef CASE
  }
}
