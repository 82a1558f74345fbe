// Where each GGML block type keeps its half-precision scales (and minimums), to check a quantized matrix
// holds only finite values without decoding it: codes are integers, so a block's values are finite
// exactly when its scales are.
import { tensorTypes, type BlockType } from './dequantize.js';
import type { QuantizedMatrix } from './types.js';

const scaleOffsets: Record<BlockType, number[]> = {
  Q4_0: [0],
  Q5_0: [0],
  Q8_0: [0],
  Q4_1: [0, 2],
  Q5_1: [0, 2],
  Q2_K: [80, 82],
  Q3_K: [108],
  Q4_K: [0, 2],
  Q5_K: [0, 2],
  Q6_K: [208],
};

/** The index of the first block with a NaN or infinite scale, or -1. */
export function firstNonFiniteBlock(matrix: QuantizedMatrix): number {
  const { blockBytes } = tensorTypes[matrix.type];
  const offsets = scaleOffsets[matrix.type];
  const { bytes } = matrix;
  for (let block = 0, at = 0; at < bytes.length; block++, at += blockBytes)
    for (const offset of offsets) if ((bytes[at + offset + 1] & 0x7c) === 0x7c) return block; // exponent all ones
  return -1;
}
