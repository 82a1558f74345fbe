// A weight matrix's values as float32 through the TypeScript codecs, whole (the GGUF writer, benchmark
// peers). matrixChunks (../matrix.ts) gives the same values a slice of rows at a time.
import { dequantize } from './dequantize.js';
import type { Matrix } from './types.js';

/** A matrix's values as float32, decoded from its blocks when it is kept quantized. */
export function matrixFloat32(matrix: Matrix): Float32Array {
  if (matrix instanceof Float32Array) return matrix;
  return dequantize(matrix.bytes, matrix.type, matrix.rows * matrix.columns, 'a quantized matrix');
}
