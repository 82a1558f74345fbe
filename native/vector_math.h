/* exp for float loops the compiler vectorizes: range reduction to r in [-ln2/2, ln2/2], Cephes' degree-6
 * polynomial (relative error under 2e-7, as expf's last bits) and 2^n built in the exponent bits; no
 * branches and no errno, so `omp simd` loops of it become vector code at the including function's target.
 * Inputs are clamped to where the result is a normal float; exp of a large negative is ~1e-38, not 0. */
#ifndef PROMPTUNE_VECTOR_MATH_H
#define PROMPTUNE_VECTOR_MATH_H
#include <stdint.h>
#include <string.h>

static inline __attribute__((always_inline)) float exp_vectorizable(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  float n = __builtin_rintf(x * 1.44269504088896341f);
  float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t bits = ((int32_t)n + 127) << 23;
  float power;
  memcpy(&power, &bits, sizeof power);
  return p * power;
}

#endif
