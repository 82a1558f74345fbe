/* Adam's update over a flat parameter vector (the JS twin in src/engine/kernels/js-adam.ts is the
 * reference): float64 moments, each value computed in double and rounded to float where the JS twin
 * rounds (each store into the float32 values), so both give the same floats whatever the threads. Returns
 * the first value not finite after the step, or -1. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"
#include "parallel.h"

/* never fused multiply-adds, whatever -march a build asks for: the JS twin rounds each product */
#pragma GCC optimize("fp-contract=off")

long long adam_update(float *parameters, const float *gradient, double *m, double *v, const uint8_t *decays,
                      double beta1, double beta2, double step_size, double correction2, double eps, double decay,
                      int coupled, long long n) {
  long long bad = n;
  PARALLEL_FOR_MIN(n > ENOUGH_WORK, bad)
  for (long long i = 0; i < n; i++) {
    int decayed = decay != 0.0 && (decays == NULL || decays[i] != 0);
    double g = coupled && decayed ? (double)gradient[i] + decay * (double)parameters[i] : (double)gradient[i];
    double first = m[i] = beta1 * m[i] + (1.0 - beta1) * g;
    double second = v[i] = beta2 * v[i] + (1.0 - beta2) * g * g;
    if (!coupled && decayed) parameters[i] = (float)((double)parameters[i] - decay * (double)parameters[i]);
    float value = (float)((double)parameters[i] - (step_size * first) / (sqrt(second) / correction2 + eps));
    parameters[i] = value;
    if (!isfinite(value) && i < bad) bad = i;
  }
  return bad == n ? -1 : bad;
}
