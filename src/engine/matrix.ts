// Operations on a weight Matrix whichever form it is in: float32 values, or blocks of a GGML type that
// the kernels read in place. The decoder, its backward pass and the code that reads embedding rows go
// through these, so no caller branches on the form. Pairs: linearForward/linearBackward.
import type { Kernels } from './kernels/index.js';
import { dequantize } from './weights/dequantize.js';
import type { Matrix, QuantizedMatrix } from './weights/types.js';

/** Whether a matrix is kept in a GGML block type (else it is float32). */
export const isQuantized = (matrix: Matrix): matrix is QuantizedMatrix => !(matrix instanceof Float32Array);

/** out (n, outFeatures) = inp (n, inFeatures) . weight^T + bias. */
export function linearForward(
  kernels: Kernels,
  out: Float32Array,
  inp: Float32Array,
  weight: Matrix,
  bias: Float32Array | null,
  n: number,
  inFeatures: number,
  outFeatures: number,
): void {
  if (!isQuantized(weight)) {
    kernels.matmulForward(out, inp, weight, bias, n, inFeatures, outFeatures);
    return;
  }
  kernels.quantizedMatmulForward(out, inp, weight.bytes, weight.type, bias, n, inFeatures, outFeatures);
}

/** dinp (n, inFeatures) += dout (n, outFeatures) . weight: the input gradient of linearForward. */
export function linearBackward(
  kernels: Kernels,
  dinp: Float32Array,
  dout: Float32Array,
  weight: Matrix,
  n: number,
  inFeatures: number,
  outFeatures: number,
): void {
  if (isQuantized(weight))
    kernels.quantizedMatmulBackward(dinp, dout, weight.bytes, weight.type, n, inFeatures, outFeatures);
  else kernels.matmulBackward(dinp, dout, weight, n, inFeatures, outFeatures);
}

/** out (n, channels) = the table's rows for `ids`. */
export function embeddingLookup(
  kernels: Kernels,
  out: Float32Array,
  ids: Int32Array,
  table: Matrix,
  n: number,
  channels: number,
): void {
  if (isQuantized(table)) kernels.quantizedEmbeddingForward(out, ids, table.bytes, table.type, n, channels);
  else kernels.embeddingForward(out, ids, table, n, channels);
}

/** The table's row for one token id, as float32 (a copy when the table is quantized). */
export function embeddingRow(kernels: Kernels, table: Matrix, id: number, channels: number): Float32Array {
  if (!isQuantized(table)) return table.subarray(id * channels, (id + 1) * channels);
  const row = new Float32Array(channels);
  kernels.quantizedEmbeddingForward(row, Int32Array.of(id), table.bytes, table.type, 1, channels);
  return row;
}

/**
 * A matrix's values as float32 in slices of rows (at most about `values` each), in order, decoded by the
 * TypeScript codecs: bit for bit what loading the file expanded to float32 gives (the native decoders may
 * differ in the last bit, where they fuse a multiply and an add).
 */
export function* matrixChunks(matrix: Matrix, values = 1 << 20): Generator<Float32Array> {
  if (!isQuantized(matrix)) {
    yield matrix;
    return;
  }
  const rowsPerChunk = Math.max(1, Math.floor(values / matrix.columns));
  const rowBytes = matrix.bytes.byteLength / matrix.rows;
  for (let first = 0; first < matrix.rows; first += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, matrix.rows - first);
    const bytes = matrix.bytes.subarray(first * rowBytes, (first + rows) * rowBytes);
    yield dequantize(bytes, matrix.type, rows * matrix.columns, 'a quantized matrix');
  }
}

/** Bytes the matrix holds in memory. */
export const matrixBytes = (matrix: Matrix): number =>
  isQuantized(matrix) ? matrix.bytes.byteLength : matrix.byteLength;
