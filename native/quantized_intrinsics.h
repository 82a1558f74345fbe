/* The decode-step product for Q8_0, Q5_0, Q4_K, Q5_K and Q6_K with intrinsics (quantized_rows.h, built at two
 * widths): out (n, out_features) = inp (n, in_features) . weight^T for n <= 8. Call each only where its
 * instructions run (quantized.c checks the CPU). */
#ifndef PROMPTUNE_QUANTIZED_INTRINSICS_H
#define PROMPTUNE_QUANTIZED_INTRINSICS_H
#include <stdint.h>
void quantized_rows_avx2(float *out, const float *inp, const uint8_t *weight, int type, int n, int in_features,
                         int out_features);
void quantized_rows_avx512(float *out, const float *inp, const uint8_t *weight, int type, int n, int in_features,
                           int out_features);
/* rows [first, last) of a matrix in one of those types to floats */
void quantized_decode_rows_avx2(float *out, const uint8_t *weight, int type, int in_features, int first, int last);
void quantized_decode_rows_avx512(float *out, const uint8_t *weight, int type, int in_features, int first, int last);
#endif
