/* Products with weights kept in GGML block types (quantized_blocks.h): the matrix streams from memory at
 * its stored size. A few input rows (decode steps) go through quantized_body.h, which decodes each block
 * in L1 and dots it with every row; more rows (prefill, training) decode a tile of weight rows at a time
 * and hand it to sgemm. The backward product (input gradients, weights frozen) tiles the same way.
 * Built for AVX-512, AVX2 and the x86-64 baseline, chosen once by CPU, as few_rows.c is; the types most
 * files are made of take the intrinsics kernels (quantized_intrinsics*.c) for decode steps. */
#include "quantized.h"

#include <cblas.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "kernels.h"
#include "parallel.h"
#include "quantized_intrinsics.h"
#include "quantized_types.h"
#include <immintrin.h>

/* up to this many input rows, the per-block kernel; past it, tiles and sgemm */
#define FEW_QUANTIZED 8
/* weight rows decoded per sgemm call on the tiled path */
#define TILE_ROWS 256

#define NAME quantized_avx512
#define LANES 16
#define TARGET "arch=x86-64-v4"
#define HAS_F16C 1
#include "quantized_body.h"
#undef HAS_F16C
#undef NAME
#undef LANES
#undef TARGET

#define NAME quantized_avx2
#define LANES 8
#define TARGET "arch=x86-64-v3"
#define HAS_F16C 1
#include "quantized_body.h"
#undef HAS_F16C
#undef NAME
#undef LANES
#undef TARGET

#define NAME quantized_baseline
#define LANES 4
#define TARGET "arch=x86-64-v2"
#define HAS_F16C 0
#include "quantized_body.h"
#undef HAS_F16C
#undef NAME
#undef LANES
#undef TARGET

typedef void (*rows_kernel)(float *, const float *, const uint8_t *, int, int, int, int);
typedef void (*decode_kernel)(float *, const uint8_t *, int, int, int, int);

static int chosen = -1;

static int level(void) {
  if (chosen < 0) {
    __builtin_cpu_init();
    chosen = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") ? 2
             : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")     ? 1
                                                                                   : 0;
  }
  return chosen;
}

/* the types whose blocks the intrinsics kernels unpack (the generic decoders vectorize the others well enough) */
static int has_intrinsics(int type) {
  return type == TYPE_Q8_0 || type == TYPE_Q5_0 || type == TYPE_Q4_K || type == TYPE_Q5_K || type == TYPE_Q6_K;
}

static void decode_rows(float *out, const uint8_t *weight, int type, int in_features, int first, int last) {
  if (has_intrinsics(type) && level() >= 1) {
    if (level() == 2) quantized_decode_rows_avx512(out, weight, type, in_features, first, last);
    else quantized_decode_rows_avx2(out, weight, type, in_features, first, last);
    return;
  }
  static const decode_kernel kernels[] = {quantized_baseline_decode_rows, quantized_avx2_decode_rows,
                                          quantized_avx512_decode_rows};
  kernels[level()](out, weight, type, in_features, first, last);
}

int quantized_set_level(int wanted) {
  chosen = -1;
  int best = level();
  if (wanted >= 0 && wanted < best) chosen = wanted;
  return chosen;
}

int quantized_type_supported(int type) { return block_values(type) > 0; }

size_t quantized_bytes(int type, size_t count) {
  int values = block_values(type);
  return values ? count / values * block_bytes(type) : 0;
}

/* a scratch tile of the calling thread's, grown as needed */
static float *scratch(size_t count) {
  static _Thread_local float *buffer = NULL;
  static _Thread_local size_t capacity = 0;
  if (count > capacity) {
    float *grown = aligned_alloc(64, (count * sizeof(float) + 63) / 64 * 64);
    if (!grown) return NULL;
    free(buffer);
    buffer = grown;
    capacity = count;
  }
  return buffer;
}

/* the product without its bias: the decode-step kernels for a few rows, else tiles and sgemm */
static int product(float *out, const float *inp, const uint8_t *weight, int type, int n, int in_features,
                   int out_features) {
  /* Q4_0 and Q4_1: the generic decoders vectorize well (and use AVX-512 where it is) */
  if (n <= FEW_QUANTIZED && has_intrinsics(type) && level() >= 1) {
    if (level() == 2) quantized_rows_avx512(out, inp, weight, type, n, in_features, out_features);
    else quantized_rows_avx2(out, inp, weight, type, n, in_features, out_features);
    return 0;
  }
  if (n <= FEW_QUANTIZED) {
    static const rows_kernel kernels[] = {quantized_baseline, quantized_avx2, quantized_avx512};
    kernels[level()](out, inp, weight, type, n, in_features, out_features);
    return 0;
  }
  float *tile = scratch((size_t)TILE_ROWS * in_features);
  if (!tile) return -1;
  for (int first = 0; first < out_features; first += TILE_ROWS) {
    int rows = out_features - first < TILE_ROWS ? out_features - first : TILE_ROWS;
    decode_rows(tile, weight, type, in_features, first, first + rows);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, rows, in_features, 1.0f, inp, in_features, tile,
                in_features, 0.0f, out + first, out_features);
  }
  return 0;
}

int quantized_matmul_forward(float *out, const float *inp, const uint8_t *weight, int type, const float *bias,
                             int n, int in_features, int out_features) {
  if (product(out, inp, weight, type, n, in_features, out_features) != 0) return -1;
  if (bias) add_bias(out, bias, n, out_features);
  return 0;
}

int quantized_matmul_backward(float *dinp, const float *dout, const uint8_t *weight, int type, int n,
                              int in_features, int out_features) {
  float *tile = scratch((size_t)TILE_ROWS * in_features);
  if (!tile) return -1;
  for (int first = 0; first < out_features; first += TILE_ROWS) {
    int rows = out_features - first < TILE_ROWS ? out_features - first : TILE_ROWS;
    decode_rows(tile, weight, type, in_features, first, first + rows);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in_features, rows, 1.0f, dout + first, out_features,
                tile, in_features, 1.0f, dinp, in_features);
  }
  return 0;
}

void quantized_embedding_forward(float *out, const int32_t *ids, const uint8_t *table, int type, int n,
                                 int channels) {
  for (int i = 0; i < n; i++) decode_rows(out + (size_t)i * channels, table, type, channels, ids[i], ids[i] + 1);
}

void quantized_decode(float *out, const uint8_t *bytes, int type, int rows, int columns) {
  decode_rows(out, bytes, type, columns, 0, rows);
}
