/* Threading for the kernels' own loops (see kernels.c): OpenMP's pool when built against OpenBLAS's
 * OpenMP variant, else no threads at all (the pthread OpenBLAS keeps its own pool for GEMMs). */
#ifndef PROMPTUNE_PARALLEL_H
#define PROMPTUNE_PARALLEL_H

#define PRAGMA(text) _Pragma(#text)

#ifdef PROMPTUNE_OPENMP
#include <omp.h>
/* parallel only when there is enough work to pay for waking the pool */
#define PARALLEL_FOR(condition) PRAGMA(omp parallel for schedule(static) if (condition))
/* the same, each thread keeping the least of `variable` it saw, the least of those after the loop */
#define PARALLEL_FOR_MIN(condition, variable) \
  PRAGMA(omp parallel for schedule(static) if (condition) reduction(min : variable))
static inline int thread_count(void) { return omp_get_max_threads(); }
static inline int thread_index(void) { return omp_get_thread_num(); }
#else
#define PARALLEL_FOR(condition)
#define PARALLEL_FOR_MIN(condition, variable)
static inline int thread_count(void) { return 1; }
static inline int thread_index(void) { return 0; }
#endif

#define ENOUGH_WORK 32768

/* Up to this many rows, matmul streams the weights once per call (matmul_few_rows) instead of calling
 * sgemm. Only with OpenMP: without it the kernels' loops run on one thread and sgemm's pool wins. */
#ifdef PROMPTUNE_OPENMP
#define FEW_ROWS 48
#else
#define FEW_ROWS 0
#endif

#endif
