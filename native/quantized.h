/* Products, lookups and decoding over weights kept in GGML block types (quantized.c). `type` is the GGML
 * type id (Q4_0 2 … Q6_K 14); rows of in_features values are whole blocks (the loader checks). */
#ifndef PROMPTUNE_QUANTIZED_H
#define PROMPTUNE_QUANTIZED_H
#include <stddef.h>
#include <stdint.h>

int quantized_type_supported(int type);
/* instruction sets for the quantized kernels: 0 baseline, 1 AVX2, 2 AVX-512; at most what the CPU has
 * (tests run every path this way); -1 goes back to the best. Returns the level now in use. */
int quantized_set_level(int level);
size_t quantized_bytes(int type, size_t count);
/* out (n, out_features) = inp (n, in_features) . dequantized(weight)^T + bias (may be NULL); -1 when
 * scratch memory ran out */
int quantized_matmul_forward(float *out, const float *inp, const uint8_t *weight, int type, const float *bias,
                             int n, int in_features, int out_features);
/* dinp (n, in_features) += dout (n, out_features) . dequantized(weight) */
int quantized_matmul_backward(float *dinp, const float *dout, const uint8_t *weight, int type, int n,
                              int in_features, int out_features);
void quantized_embedding_forward(float *out, const int32_t *ids, const uint8_t *table, int type, int n,
                                 int channels);
void quantized_decode(float *out, const uint8_t *bytes, int type, int rows, int columns);
#endif
