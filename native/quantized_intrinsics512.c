/* The AVX-512 twin of quantized_intrinsics.c: the same unpacking, turned into 16-float vectors, so
 * conversions and products take half the instructions. */
#include "quantized_intrinsics.h"

#include <stddef.h>

#include "parallel.h"
#include "quantized_unpack.h"

#define WIDTH 16
#define FLOATS __m512
#define TARGET_NAME "avx512f,avx512bw,avx512vl,avx2,fma,f16c"
#define SUFFIX avx512
#include "quantized_rows.h"
