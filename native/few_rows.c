/* matmul for a few input rows (decode steps of a small batch, short prefills): the weights stream
 * from memory once per call, two rows at a time, each dotted with up to eight input rows held in
 * registers. sgemm packs the whole weight matrix on every call, which for a few rows costs several
 * times the products themselves. Built for AVX-512, AVX2 and the x86-64 baseline, chosen once by CPU. */
#include "few_rows.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "parallel.h"

#define NAME few_rows_avx512
#define LANES 16
#define TARGET "arch=x86-64-v4"
#include "few_rows_body.h"
#undef NAME
#undef LANES
#undef TARGET

#define NAME few_rows_avx2
#define LANES 8
#define TARGET "arch=x86-64-v3"
#include "few_rows_body.h"
#undef NAME
#undef LANES
#undef TARGET

#define NAME few_rows_baseline
#define LANES 4
#define TARGET "arch=x86-64-v2"
#include "few_rows_body.h"
#undef NAME
#undef LANES
#undef TARGET

typedef void (*few_rows_kernel)(float *, const float *, const float *, int, int, int);

static few_rows_kernel chosen(void) {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) return few_rows_avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return few_rows_avx2;
  return few_rows_baseline;
}

/* The input rows are copied to a 64-byte aligned buffer of the calling thread's first: vector loads of
 * rows that straddle cache lines made the kernel twice as slow. */
static const float *aligned_copy(const float *inp, size_t count) {
  static _Thread_local float *buffer = NULL;
  static _Thread_local size_t capacity = 0;
  if (count > capacity) {
    size_t bytes = (count * sizeof(float) + 63) / 64 * 64;
    float *grown = aligned_alloc(64, bytes);
    if (!grown) return inp; /* unaligned is slower, not wrong */
    free(buffer);
    buffer = grown;
    capacity = bytes / sizeof(float);
  }
  memcpy(buffer, inp, count * sizeof(float));
  return buffer;
}

void matmul_few_rows(float *out, const float *inp, const float *weight, int n, int in_features, int out_features) {
  static few_rows_kernel kernel = NULL;
  if (!kernel) kernel = chosen();
  kernel(out, aligned_copy(inp, (size_t)n * in_features), weight, n, in_features, out_features);
}
