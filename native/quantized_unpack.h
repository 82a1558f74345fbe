/* Byte-level unpacking of GGML blocks with AVX2 integer instructions, shared by the AVX2 and the AVX-512
 * decode-step kernels (quantized_intrinsics.c, quantized_intrinsics512.c): each returns codes as bytes in
 * __m256i vectors with the scales beside them; the kernels turn them into floats at their own width.
 * Not a header to include anywhere else. */
#ifndef PROMPTUNE_QUANTIZED_UNPACK_H
#define PROMPTUNE_QUANTIZED_UNPACK_H
#include <immintrin.h>
#include <stdint.h>

#include "quantized_types.h"

#define UNPACK __attribute__((always_inline, target("avx2,fma,f16c"))) static inline

UNPACK float half(const uint8_t *at) { return _cvtsh_ss((uint16_t)(at[0] | (at[1] << 8))); }

/* the 32 bits of `bits` as 32 bytes, 0xff where the bit is set (bit j to byte j) */
UNPACK __m256i bits_to_bytes(uint32_t bits) {
  const __m256i shuffle = _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101, 0x0202020202020202,
                                             0x0303030303030303);
  __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), shuffle);
  const __m256i mask = _mm256_set1_epi64x((long long)0x7fbfdfeff7fbfdfe);
  return _mm256_cmpeq_epi8(_mm256_or_si256(spread, mask), _mm256_set1_epi64x(-1));
}

/* a 16-byte packed nibble array to 32 bytes: low nibbles first (values j), then high nibbles (j + 16) */
UNPACK __m256i nibbles(const uint8_t *at) {
  __m128i packed = _mm_loadu_si128((const __m128i *)at);
  __m128i low = _mm_and_si128(packed, _mm_set1_epi8(0x0f));
  __m128i high = _mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0x0f));
  return _mm256_set_m128i(high, low);
}

/* a 32-value Q8_0, Q4_0 or Q5_0 block: its 32 signed codes, and its scale in *scale */
UNPACK __m256i unpack32(int type, const uint8_t *block, float *scale) {
  *scale = half(block);
  if (type == TYPE_Q8_0) return _mm256_loadu_si256((const __m256i *)(block + 2));
  if (type == TYPE_Q4_0) return _mm256_sub_epi8(nibbles(block + 2), _mm256_set1_epi8(8));
  /* Q5_0: the fifth bits, 0x10 where set, then minus 16 */
  uint32_t high = (uint32_t)block[2] | ((uint32_t)block[3] << 8) | ((uint32_t)block[4] << 16) |
                  ((uint32_t)block[5] << 24);
  __m256i fifth = _mm256_and_si256(bits_to_bytes(high), _mm256_set1_epi8(0x10));
  return _mm256_sub_epi8(_mm256_or_si256(nibbles(block + 6), fifth), _mm256_set1_epi8(16));
}

/* Q4_K/Q5_K's 6-bit scale and minimum of sub-block j */
UNPACK void scale_and_minimum(const uint8_t *packed, int j, int *scale, int *minimum) {
  if (j < 4) {
    *scale = packed[j] & 63;
    *minimum = packed[j + 4] & 63;
  } else {
    *scale = (packed[j + 4] & 0x0f) | ((packed[j - 4] >> 6) << 4);
    *minimum = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
  }
}

/* Q4_K and Q5_K: the unsigned codes of sub-blocks 2 * pair and 2 * pair + 1, with their scales and
 * minimums; Q5_K's fifth bits are bits 2 * pair and 2 * pair + 1 of its 32 high-bit bytes */
UNPACK void unpack_q4_q5_k(int five, const uint8_t *block, int pair, __m256i *codes, float *scales,
                           float *minimums) {
  float d = half(block), min = half(block + 2);
  __m256i bytes = _mm256_loadu_si256((const __m256i *)(block + (five ? 48 : 16) + 32 * pair));
  codes[0] = _mm256_and_si256(bytes, _mm256_set1_epi8(0x0f));
  codes[1] = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), _mm256_set1_epi8(0x0f));
  if (five) {
    __m256i high = _mm256_loadu_si256((const __m256i *)(block + 16)), sixteen = _mm256_set1_epi8(0x10);
    for (int k = 0; k < 2; k++) {
      __m256i bit = _mm256_set1_epi8((char)(1 << (2 * pair + k)));
      __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(high, bit), bit);
      codes[k] = _mm256_or_si256(codes[k], _mm256_and_si256(set, sixteen));
    }
  }
  for (int k = 0; k < 2; k++) {
    int scale, minimum;
    scale_and_minimum(block + 4, 2 * pair + k, &scale, &minimum);
    scales[k] = d * (float)scale;
    minimums[k] = min * (float)minimum;
  }
}

/* Q6_K: the four groups of 32 signed codes (minus 32) of one 128-value half, and its eight scales
 * (one per 16 values, times the block's scale) */
UNPACK void unpack_q6_k(const uint8_t *block, int half_block, __m256i *codes, float *scales) {
  float d = half(block + 208);
  const int8_t *sc = (const int8_t *)(block + 192) + 8 * half_block;
  const uint8_t *low = block + 64 * half_block, *high = block + 128 + 32 * half_block;
  const __m256i low_mask = _mm256_set1_epi8(0x0f), two_bits = _mm256_set1_epi8(3), offset = _mm256_set1_epi8(32);
  __m256i first = _mm256_loadu_si256((const __m256i *)low), second = _mm256_loadu_si256((const __m256i *)(low + 32));
  __m256i h = _mm256_loadu_si256((const __m256i *)high);
  __m256i h0 = _mm256_slli_epi16(_mm256_and_si256(h, two_bits), 4);
  __m256i h1 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), two_bits), 4);
  __m256i h2 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), two_bits), 4);
  __m256i h3 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), two_bits), 4);
  codes[0] = _mm256_sub_epi8(_mm256_or_si256(_mm256_and_si256(first, low_mask), h0), offset);
  codes[1] = _mm256_sub_epi8(_mm256_or_si256(_mm256_and_si256(second, low_mask), h1), offset);
  codes[2] = _mm256_sub_epi8(_mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(first, 4), low_mask), h2), offset);
  codes[3] = _mm256_sub_epi8(_mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(second, 4), low_mask), h3), offset);
  for (int k = 0; k < 8; k++) scales[k] = d * (float)sc[k];
}

#endif
