/* The decode-step product (a few input rows) for the block types most files are made of — Q8_0, Q5_0,
 * Q4_K, Q5_K and Q6_K — with AVX2: each block is unpacked (quantized_unpack.h) to float vectors in registers and
 * dotted with every input row, so the weights stream from memory once, at their stored size. The
 * compiler's vectorization of the generic decoders (quantized_blocks.h) was 5-15x slower for these types;
 * this is the same arithmetic, spelled out. quantized_intrinsics512.c is the AVX-512 twin. */
#include "quantized_intrinsics.h"

#include <stddef.h>

#include "parallel.h"
#include "quantized_unpack.h"

#define WIDTH 8
#define FLOATS __m256
#define TARGET_NAME "avx2,fma,f16c"
#define SUFFIX avx2
#include "quantized_rows.h"
