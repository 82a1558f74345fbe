/* The decode-step product for Q8_0, Q4_0, Q5_0, Q4_K and Q6_K with AVX2 (quantized_intrinsics.c). */
#ifndef PROMPTUNE_QUANTIZED_INTRINSICS_H
#define PROMPTUNE_QUANTIZED_INTRINSICS_H
#include <stdint.h>
int quantized_intrinsics_handles(int type);
/* out (n, out_features) = inp (n, in_features) . weight^T for n <= 8; call only where AVX2, FMA and F16C run */
void quantized_intrinsics_rows(float *out, const float *inp, const uint8_t *weight, int type, int n, int in_features,
                         int out_features);
#endif
