// The reference for products with weights kept in GGML block types: decode with the TypeScript codecs
// (weights/quant-*.ts), then the float32 reference op. Slow by design; the native kernels read the blocks
// in place and are checked against these.
import { dequantize as decodeValues, storedBytes, type BlockType } from '../weights/dequantize.js';
import { matmulBackward } from './js-backward.js';
import type { Buffer, Kernels } from './types.js';

function dequantize(out: Buffer, bytes: Uint8Array, type: BlockType, rows: number, columns: number): void {
  out.set(decodeValues(bytes, type, rows * columns, 'quantized weight'));
}

/** quantizedMatmulForward over the given float32 reference matmul. */
export function quantizedMatmulForward(matmulForward: Kernels['matmulForward']) {
  return (
    out: Buffer,
    inp: Buffer,
    weight: Uint8Array,
    type: BlockType,
    bias: Buffer | null,
    n: number,
    inFeatures: number,
    outFeatures: number,
  ) => {
    const values = new Float32Array(outFeatures * inFeatures);
    dequantize(values, weight, type, outFeatures, inFeatures);
    matmulForward(out, inp, values, bias, n, inFeatures, outFeatures);
  };
}

export function quantizedMatmulBackward(
  dinp: Buffer,
  dout: Buffer,
  weight: Uint8Array,
  type: BlockType,
  n: number,
  inFeatures: number,
  outFeatures: number,
): void {
  const values = new Float32Array(outFeatures * inFeatures);
  dequantize(values, weight, type, outFeatures, inFeatures);
  matmulBackward(dinp, dout, values, n, inFeatures, outFeatures);
}

export function quantizedEmbeddingForward(
  out: Buffer,
  ids: Int32Array,
  table: Uint8Array,
  type: BlockType,
  n: number,
  channels: number,
): void {
  const rowBytes = storedBytes(type, channels);
  for (let i = 0; i < n; i++) {
    const row = table.subarray(ids[i] * rowBytes, (ids[i] + 1) * rowBytes);
    out.set(decodeValues(row, type, channels, 'quantized embedding'), i * channels);
  }
}

export { dequantize };
