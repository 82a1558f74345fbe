/* GGML block type ids and block sizes, for the quantized kernels (quantized.c, quantized_body.h). */
#ifndef PROMPTUNE_QUANTIZED_TYPES_H
#define PROMPTUNE_QUANTIZED_TYPES_H
#include <stdint.h>
#include <string.h>

enum {
  TYPE_Q4_0 = 2,
  TYPE_Q4_1 = 3,
  TYPE_Q5_0 = 6,
  TYPE_Q5_1 = 7,
  TYPE_Q8_0 = 8,
  TYPE_Q2_K = 10,
  TYPE_Q3_K = 11,
  TYPE_Q4_K = 12,
  TYPE_Q5_K = 13,
  TYPE_Q6_K = 14,
};

/* values and bytes per block of a GGML type id; 0 for a type we do not keep quantized */
static inline int block_values(int type) {
  switch (type) {
    case TYPE_Q4_0: case TYPE_Q4_1: case TYPE_Q5_0: case TYPE_Q5_1: case TYPE_Q8_0: return 32;
    case TYPE_Q2_K: case TYPE_Q3_K: case TYPE_Q4_K: case TYPE_Q5_K: case TYPE_Q6_K: return 256;
    default: return 0;
  }
}

static inline int block_bytes(int type) {
  switch (type) {
    case TYPE_Q4_0: return 18;
    case TYPE_Q4_1: return 20;
    case TYPE_Q5_0: return 22;
    case TYPE_Q5_1: return 24;
    case TYPE_Q8_0: return 34;
    case TYPE_Q2_K: return 84;
    case TYPE_Q3_K: return 110;
    case TYPE_Q4_K: return 144;
    case TYPE_Q5_K: return 176;
    case TYPE_Q6_K: return 210;
    default: return 0;
  }
}

#endif
