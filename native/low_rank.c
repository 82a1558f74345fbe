/* Many low-rank adapters in one call, each row with its own (punica's gathered matrix-vector products):
 * the serving path's decode steps, one position per row. The JS twin (src/engine/kernels/js-low-rank.ts)
 * is the reference. A row's result does not depend on the others in the call, so a request gets the same
 * numbers batched with any others as alone. Training multiplies runs of rows with sgemm instead. */
#include <stdlib.h>

#include "kernels.h"
#include "parallel.h"

/* the rank a row's A x is kept on the stack for; a larger one (rare) takes the heap */
#define STACK_RANK 256

/* y (out_features) += scale * B (A x) for one row; 0 when a rank above 256 found no memory */
static int low_rank_row(float *y, const float *x, const float *a, const float *b, int rank, float scale,
                         int in_features, int out_features) {
  float stack[STACK_RANK];
  float *reduced = rank <= STACK_RANK ? stack : malloc(sizeof(float) * (size_t)rank);
  if (!reduced) return 0;
  for (int k = 0; k < rank; k++) {
    const float *row = a + (size_t)k * in_features;
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int i = 0; i < in_features; i++) sum += row[i] * x[i];
    reduced[k] = sum;
  }
  for (int j = 0; j < out_features; j++) {
    const float *row = b + (size_t)j * rank;
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int k = 0; k < rank; k++) sum += row[k] * reduced[k];
    y[j] += scale * sum;
  }
  if (reduced != stack) free(reduced);
  return 1;
}

int low_rank_rows_forward(float *out, const float *inp, const float *const *as, const float *const *bs,
                          const int32_t *ranks, const float *scales, const int32_t *indices, int n,
                          int in_features, int out_features) {
  long long work = 0;
  for (int row = 0; row < n; row++)
    if (indices[row] >= 0) work += (long long)ranks[indices[row]] * (in_features + out_features);
  int done = 1; /* the least of the rows' results: 0 when one found no memory */
  PARALLEL_FOR_MIN(work > ENOUGH_WORK && n > 1, done)
  for (int row = 0; row < n; row++) {
    int pair = indices[row];
    if (pair < 0) continue;
    int result = low_rank_row(out + (size_t)row * out_features, inp + (size_t)row * in_features, as[pair],
                              bs[pair], ranks[pair], scales[pair], in_features, out_features);
    if (result < done) done = result;
  }
  return done;
}
