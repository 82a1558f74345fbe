// Every GGML block type against the real implementations (fixture from tools/reference/ggml_quants.py):
// our quantizer writes the bytes ggml's quantize_row_<type>_ref writes, and our dequantization of random
// blocks gives the floats of the gguf package (llama.cpp's gguf-py).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dequantize, quantize, storedBytes, type BlockType } from './dequantize.js';

const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'ggml-quants.json'), 'utf8'),
) as {
  values: string;
  types: Record<
    BlockType,
    { quantized: string; randomBlocks: string; randomDequantized: string; rmse: number }
  >;
};

const bytesOf = (base64: string) => new Uint8Array(Buffer.from(base64, 'base64'));
const floatsOf = (base64: string) => {
  const bytes = bytesOf(base64);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
};

const values = floatsOf(fixture.values);
const types = Object.keys(fixture.types) as BlockType[];

describe('GGML block types', () => {
  it('covers every block type promptune knows', () => {
    expect(types.sort()).toEqual([
      'Q2_K',
      'Q3_K',
      'Q4_0',
      'Q4_1',
      'Q4_K',
      'Q5_0',
      'Q5_1',
      'Q5_K',
      'Q6_K',
      'Q8_0',
    ]);
  });

  describe.each(types)('%s', (type) => {
    const reference = fixture.types[type];

    it("quantizes to ggml's bytes", () => {
      const ours = quantize(values, type);
      const theirs = bytesOf(reference.quantized);
      expect(ours.length).toBe(theirs.length);
      const differing = ours.reduce((count, byte, i) => count + (byte === theirs[i] ? 0 : 1), 0);
      expect(differing).toBe(0);
    });

    it("dequantizes random blocks to gguf-py's floats", () => {
      const blocks = bytesOf(reference.randomBlocks);
      const expected = floatsOf(reference.randomDequantized);
      const ours = dequantize(blocks, type, expected.length, 'fixture');
      expect(Array.from(ours)).toEqual(Array.from(expected));
    });

    it('round-trips with the error ggml measured', () => {
      const restored = dequantize(quantize(values, type), type, values.length, 'round trip');
      const squared = values.reduce((sum, value, i) => sum + (value - restored[i]) ** 2, 0);
      expect(Math.sqrt(squared / values.length)).toBeCloseTo(reference.rmse, 6);
    });
  });

  it('refuses a count that is not whole blocks, and a truncated tensor', () => {
    const bytes = new Uint8Array(storedBytes('Q4_K', 512));
    expect(() => dequantize(bytes, 'Q4_K', 300, 'x')).toThrow(/not whole blocks/);
    expect(() => dequantize(bytes.subarray(0, 100), 'Q4_K', 256, 'x')).toThrow(/100 bytes stored/);
    expect(() => quantize(new Float32Array(300), 'Q6_K')).toThrow(/whole blocks of 256/);
  });
});
