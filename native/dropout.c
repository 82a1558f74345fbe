/* Inverted dropout's op pair (the JS twins in src/engine/kernels/js-dropout.ts are the reference): position
 * i of a mask is kept when lowbias32(key + start + i) reaches probability * 2^32, so the backward pass draws
 * the forward's mask again instead of storing it. Values are scaled in double and rounded once, as the
 * JS twins do, so both give the same floats. */
#include <math.h>
#include <stdint.h>

#include "kernels.h"
#include "parallel.h"

/* never fused multiply-adds, whatever -march a build asks for: the JS twin rounds each product */
#pragma GCC optimize("fp-contract=off")

/* Chris Wellons' lowbias32 */
static inline uint32_t hash32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

/* the smallest kept hash: a hash h is kept when h >= probability * 2^32; past 2^32 - 1 none is kept */
static inline uint64_t kept_from(double probability) { return (uint64_t)ceil(probability * 4294967296.0); }

void dropout_forward(float *out, const float *inp, double probability, uint32_t key, uint64_t start, int n) {
  uint64_t smallest = kept_from(probability);
  double scale = 1.0 / (1.0 - probability);
  uint32_t first = (uint32_t)(key + start);
  if (smallest > UINT32_MAX) {
    for (int i = 0; i < n; i++) out[i] = 0.0f;
    return;
  }
  /* compared as 32-bit numbers, which the vector units do four or eight at a time */
  uint32_t threshold = (uint32_t)smallest;
  PARALLEL_FOR(n > ENOUGH_WORK)
  for (int i = 0; i < n; i++) {
    float kept = (float)((double)inp[i] * scale);
    out[i] = hash32(first + (uint32_t)i) >= threshold ? kept : 0.0f;
  }
}

void dropout_backward(float *dinp, const float *dout, double probability, uint32_t key, uint64_t start, int n) {
  uint64_t smallest = kept_from(probability);
  double scale = 1.0 / (1.0 - probability);
  uint32_t first = (uint32_t)(key + start);
  if (smallest > UINT32_MAX) return;
  uint32_t threshold = (uint32_t)smallest;
  PARALLEL_FOR(n > ENOUGH_WORK)
  for (int i = 0; i < n; i++) {
    float sum = (float)((double)dinp[i] + (double)dout[i] * scale);
    dinp[i] = hash32(first + (uint32_t)i) >= threshold ? sum : dinp[i];
  }
}
