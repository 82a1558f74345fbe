/* The body of matmul_few_rows for one instruction set: few_rows.c includes it once per set with
 * LANES (floats per vector), TARGET (the function's target attribute) and NAME defined. Not a
 * header to include anywhere else. */
#define PASTE_(a, b) a##b
#define PASTE(a, b) PASTE_(a, b)
#define VECTOR PASTE(NAME, _vector)
#define TILE PASTE(NAME, _tile)

typedef float VECTOR __attribute__((vector_size(LANES * 4), aligned(4)));

/* Two weight rows (j, j + 1) dotted with `group` input rows from `row` on; the caller passes a constant
 * group so the accumulators stay in registers. The weights two blocks ahead are prefetched: reading
 * memory one block at a time left the cores waiting on it. */
static inline __attribute__((always_inline, target(TARGET))) void TILE(
    float *out, const float *inp, const float *weight, int row, int rows, int group, int j, int in_features,
    int out_features) {
  const float *w0 = weight + (size_t)j * in_features;
  const float *w1 = weight + (size_t)(j + 1 < out_features ? j + 1 : j) * in_features;
  const float *x[8];
  for (int r = 0; r < group; r++) x[r] = inp + (size_t)(row + (r < rows ? r : rows - 1)) * in_features;
  VECTOR sum0[8] = {0}, sum1[8] = {0};
  int c = 0;
  for (; c + LANES <= in_features; c += LANES) {
    VECTOR v0 = *(const VECTOR *)(w0 + c), v1 = *(const VECTOR *)(w1 + c);
    __builtin_prefetch(w0 + c + 4 * (size_t)in_features);
    __builtin_prefetch(w1 + c + 4 * (size_t)in_features);
    PRAGMA(GCC unroll 8)
    for (int r = 0; r < group; r++) {
      VECTOR xv = *(const VECTOR *)(x[r] + c);
      sum0[r] += v0 * xv;
      sum1[r] += v1 * xv;
    }
  }
  for (int r = 0; r < rows && r < group; r++) {
    float s0 = 0.0f, s1 = 0.0f;
    for (int lane = 0; lane < LANES; lane++) {
      s0 += sum0[r][lane];
      s1 += sum1[r][lane];
    }
    for (int t = c; t < in_features; t++) {
      s0 += w0[t] * x[r][t];
      s1 += w1[t] * x[r][t];
    }
    out[(size_t)(row + r) * out_features + j] = s0;
    if (j + 1 < out_features) out[(size_t)(row + r) * out_features + j + 1] = s1;
  }
}

static __attribute__((target(TARGET))) void NAME(float *out, const float *inp, const float *weight, int n,
                                                 int in_features, int out_features) {
  int blocks = (out_features + 1) / 2;
  PARALLEL_FOR((size_t)n * out_features * in_features > ENOUGH_WORK)
  for (int block = 0; block < blocks; block++) {
    int j = block * 2;
    for (int row = 0; row < n; row += 8) {
      int rows = n - row;
      if (rows >= 8) TILE(out, inp, weight, row, 8, 8, j, in_features, out_features);
      else if (rows > 4) TILE(out, inp, weight, row, rows, 8, j, in_features, out_features);
      else if (rows > 2) TILE(out, inp, weight, row, rows, 4, j, in_features, out_features);
      else if (rows == 2) TILE(out, inp, weight, row, 2, 2, j, in_features, out_features);
      else TILE(out, inp, weight, row, 1, 1, j, in_features, out_features);
    }
  }
}

#undef VECTOR
#undef TILE
#undef PASTE
#undef PASTE_
