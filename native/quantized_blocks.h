/* Decoding of one GGML block to float32, for every block type promptune keeps quantized in memory: Q4_0,
 * Q4_1, Q5_0, Q5_1, Q8_0 (32 values) and Q2_K, Q3_K, Q4_K, Q5_K, Q6_K (256 values). The layouts and the
 * arithmetic are those of src/engine/weights/quant-legacy.ts and quant-k-decode.ts (the readable
 * reference, checked against gguf-py); quantized-kernels.test.ts checks these against them. Included by
 * quantized_body.h once per instruction set (BLOCK names the copy, BLOCK_ATTRIBUTES targets it, HAS_F16C
 * says whether F16C is there), so the loops vectorize for each. Not a header to include anywhere else. */
/* IEEE half precision to float (scales are read once per block): F16C's conversion where the instruction
 * set has it (AVX2 and up), else the bits by hand */
static inline BLOCK_ATTRIBUTES float BLOCK(half_to_float)(const uint8_t *at) {
  uint16_t h = (uint16_t)(at[0] | (at[1] << 8));
#if HAS_F16C
  return _cvtsh_ss(h);
#else
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff, bits;
  if (exponent == 0) {
    float value = (float)mantissa * (1.0f / 16777216.0f);
    return sign ? -value : value;
  }
  bits = exponent == 31 ? sign | 0x7f800000u | (mantissa << 13) : sign | ((exponent + 112) << 23) | (mantissa << 13);
  float value;
  memcpy(&value, &bits, 4);
  return value;
#endif
}

static inline BLOCK_ATTRIBUTES uint32_t BLOCK(read_u32)(const uint8_t *at) {
  return (uint32_t)at[0] | ((uint32_t)at[1] << 8) | ((uint32_t)at[2] << 16) | ((uint32_t)at[3] << 24);
}

/* Q4_0, Q5_0 (symmetric, minus 8 or 16) and Q4_1, Q5_1 (scale and minimum): codes j and j + 16 share byte j */
static inline BLOCK_ATTRIBUTES void BLOCK(decode_legacy)(int type, const uint8_t *__restrict block, float *__restrict out) {
  int five = type == TYPE_Q5_0 || type == TYPE_Q5_1, with_minimum = type == TYPE_Q4_1 || type == TYPE_Q5_1;
  float d = BLOCK(half_to_float)(block), m = with_minimum ? BLOCK(half_to_float)(block + 2) : 0.0f;
  int header = with_minimum ? 4 : 2;
  uint32_t high = five ? BLOCK(read_u32)(block + header) : 0;
  const uint8_t *codes = block + header + (five ? 4 : 0);
  int offset = with_minimum ? 0 : (five ? 16 : 8);
  for (int j = 0; j < 16; j++) {
    int low = codes[j] & 0x0f, upper = codes[j] >> 4;
    if (five) {
      low |= ((high >> j) << 4) & 0x10;
      upper |= (high >> (j + 12)) & 0x10;
    }
    out[j] = with_minimum ? d * (float)low + m : d * (float)(low - offset);
    out[j + 16] = with_minimum ? d * (float)upper + m : d * (float)(upper - offset);
  }
}

static inline BLOCK_ATTRIBUTES void BLOCK(decode_q8_0)(const uint8_t *__restrict block, float *__restrict out) {
  float d = BLOCK(half_to_float)(block);
  int8_t codes[32];
  memcpy(codes, block + 2, 32);
  for (int j = 0; j < 32; j++) out[j] = d * (float)codes[j];
}

static inline BLOCK_ATTRIBUTES void BLOCK(decode_q2_k)(const uint8_t *__restrict block, float *__restrict out) {
  const uint8_t *scales = block, *codes = block + 16;
  float d = BLOCK(half_to_float)(block + 80), min = BLOCK(half_to_float)(block + 82);
  int sub = 0;
  for (int half = 0; half < 2; half++, codes += 32)
    for (int shift = 0; shift < 8; shift += 2)
      for (int offset = 0; offset < 32; offset += 16) {
        float scale = d * (float)(scales[sub] & 0x0f), minimum = min * (float)(scales[sub] >> 4);
        sub++;
        for (int l = 0; l < 16; l++) *out++ = scale * (float)((codes[offset + l] >> shift) & 3) - minimum;
      }
}

static inline BLOCK_ATTRIBUTES void BLOCK(decode_q3_k)(const uint8_t *__restrict block, float *__restrict out) {
  const uint8_t *high_mask = block, *codes = block + 32, *packed = block + 96;
  float d = BLOCK(half_to_float)(block + 108);
  int8_t scales[16];
  for (int j = 0; j < 16; j++) {
    int low = j < 8 ? packed[j] & 0x0f : packed[j - 8] >> 4;
    int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
    scales[j] = (int8_t)((low | (high << 4)) - 32);
  }
  int sub = 0, mask = 1;
  for (int half = 0; half < 2; half++, codes += 32)
    for (int shift = 0; shift < 8; shift += 2, mask <<= 1)
      for (int offset = 0; offset < 32; offset += 16) {
        float scale = d * (float)scales[sub++];
        for (int l = 0; l < 16; l++) {
          int value = ((codes[offset + l] >> shift) & 3) - ((high_mask[offset + l] & mask) ? 0 : 4);
          *out++ = scale * (float)value;
        }
      }
}

/* Q4_K/Q5_K's packed 6-bit scale and minimum of sub-block j */
static inline BLOCK_ATTRIBUTES void BLOCK(scale_and_minimum)(const uint8_t *packed, int j, int *scale, int *minimum) {
  if (j < 4) {
    *scale = packed[j] & 63;
    *minimum = packed[j + 4] & 63;
  } else {
    *scale = (packed[j + 4] & 0x0f) | ((packed[j - 4] >> 6) << 4);
    *minimum = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
  }
}

static inline BLOCK_ATTRIBUTES void BLOCK(decode_q4_q5_k)(int five, const uint8_t *__restrict block, float *__restrict out) {
  float d = BLOCK(half_to_float)(block), min = BLOCK(half_to_float)(block + 2);
  const uint8_t *packed = block + 4, *high_bits = block + 16, *codes = block + (five ? 48 : 16);
  for (int pair = 0; pair < 4; pair++, codes += 32)
    for (int upper = 0; upper < 2; upper++) {
      int scale_code, minimum_code, bit = 1 << (2 * pair + upper);
      BLOCK(scale_and_minimum)(packed, 2 * pair + upper, &scale_code, &minimum_code);
      float scale = d * (float)scale_code, minimum = min * (float)minimum_code;
      for (int l = 0; l < 32; l++) {
        int code = upper ? codes[l] >> 4 : codes[l] & 0x0f;
        if (five && (high_bits[l] & bit)) code += 16;
        *out++ = scale * (float)code - minimum;
      }
    }
}

static inline BLOCK_ATTRIBUTES void BLOCK(decode_q6_k)(const uint8_t *__restrict block, float *__restrict out) {
  float d = BLOCK(half_to_float)(block + 208);
  const int8_t *scales = (const int8_t *)(block + 192);
  for (int half = 0; half < 2; half++) {
    const uint8_t *low = block + 64 * half, *high = block + 128 + 32 * half;
    const int8_t *sc = scales + 8 * half;
    float *y = out + 128 * half;
    for (int l = 0; l < 32; l++) {
      int sub = l / 16, h = high[l];
      y[l] = d * (float)sc[sub] * (float)(((low[l] & 0x0f) | ((h & 3) << 4)) - 32);
      y[l + 32] = d * (float)sc[sub + 2] * (float)(((low[l + 32] & 0x0f) | (((h >> 2) & 3) << 4)) - 32);
      y[l + 64] = d * (float)sc[sub + 4] * (float)(((low[l] >> 4) | (((h >> 4) & 3) << 4)) - 32);
      y[l + 96] = d * (float)sc[sub + 6] * (float)(((low[l + 32] >> 4) | (((h >> 6) & 3) << 4)) - 32);
    }
  }
}

/* one block of `type` to block_values(type) floats */
static inline BLOCK_ATTRIBUTES void BLOCK(decode_block)(int type, const uint8_t *__restrict block, float *__restrict out) {
  switch (type) {
    case TYPE_Q8_0: BLOCK(decode_q8_0)(block, out); break;
    case TYPE_Q4_0: case TYPE_Q4_1: case TYPE_Q5_0: case TYPE_Q5_1: BLOCK(decode_legacy)(type, block, out); break;
    case TYPE_Q2_K: BLOCK(decode_q2_k)(block, out); break;
    case TYPE_Q3_K: BLOCK(decode_q3_k)(block, out); break;
    case TYPE_Q4_K: BLOCK(decode_q4_q5_k)(0, block, out); break;
    case TYPE_Q5_K: BLOCK(decode_q4_q5_k)(1, block, out); break;
    case TYPE_Q6_K: BLOCK(decode_q6_k)(block, out); break;
  }
}

