// llama.cpp's file-type rules as quant-mix.ts applies them, on SmolLM2-135M's shape (30 layers, rows of
// 576 and 1536 values) where most K-quant matrices must fall back, and on a shape whose rows fit.
import { describe, expect, it } from 'vitest';
import { mixedTensorType, pureTensorType, type FileType, type MixedTensor } from './quant-mix.js';

const smolLm2 = { layers: 30, groupSize: 3, tied: true };

/** Counts of each type over the matrices of a 30-layer model with SmolLM2-135M's row lengths. */
function census(fileType: FileType, model = smolLm2, hidden = 576, intermediate = 1536) {
  const counts: Record<string, number> = {};
  const count = (tensor: MixedTensor) => {
    const type = mixedTensorType(fileType, tensor, model);
    counts[type] = (counts[type] ?? 0) + 1;
  };
  count({ role: 'embedding', columns: hidden });
  for (let layer = 0; layer < model.layers; layer++) {
    for (const role of ['matrix', 'matrix', 'value', 'attentionOutput', 'matrix', 'matrix'] as const)
      count({ role, layer, columns: hidden }); // query, key, value, output, gate, up
    count({ role: 'down', layer, columns: intermediate });
  }
  return counts;
}

describe('file-type mixes (llama_tensor_get_type)', () => {
  it('Q4_K_M on SmolLM2-135M: 576-value rows fall back to Q5_0 and Q8_0; down gets Q6_K on 14 layers', () => {
    // use_more_bits(i, 30): i < 3, i >= 26, and i = 5, 8, …, 23: 14 layers
    expect(census('q4_k_m')).toEqual({ Q8_0: 15, Q5_0: 166, Q6_K: 14, Q4_K: 16 });
  });

  it('Q4_K_M where rows fit: Q4_K with Q6_K for the tied output and the more-bits value and down layers', () => {
    expect(census('q4_k_m', smolLm2, 1024, 2048)).toEqual({ Q6_K: 29, Q4_K: 182 });
  });

  it('the other mixes', () => {
    expect(census('q6_k')).toEqual({ Q8_0: 181, Q6_K: 30 });
    expect(census('q8_0')).toEqual({ Q8_0: 211 });
    expect(census('q4_0')).toEqual({ Q8_0: 1, Q4_0: 210 }); // the tied output gets more bits
    expect(census('q5_k_s', smolLm2, 1024, 2048)).toEqual({ Q6_K: 1, Q5_K: 210 });
    // Q3_K_M: value Q5_K on layers 0-1 then Q4_K; down Q5_K below layer 30/16, else Q4_K; output Q4_K
    expect(census('q3_k_m', smolLm2, 1024, 2048)).toEqual({ Q6_K: 1, Q3_K: 120, Q5_K: 3, Q4_K: 87 });
    expect(census('f16')).toEqual({ F16: 211 });
  });

  it('Q2_K gives value rows Q4_K when four or more query heads share a key/value head', () => {
    const value = { role: 'value', layer: 3, columns: 1024 } as const;
    expect(mixedTensorType('q2_k', value, { ...smolLm2, groupSize: 4 })).toBe('Q4_K');
    expect(mixedTensorType('q2_k', value, smolLm2)).toBe('Q3_K');
  });

  it('an untied model keeps its embedding at the base type and gives the classifier more bits', () => {
    const untied = { ...smolLm2, tied: false };
    expect(mixedTensorType('q4_k_m', { role: 'embedding', columns: 1024 }, untied)).toBe('Q4_K');
    expect(mixedTensorType('q4_k_m', { role: 'classifier', columns: 1024 }, untied)).toBe('Q6_K');
  });

  it('vectors stay F32 and rows fitting no block fall back to F16', () => {
    expect(mixedTensorType('q4_k_m', { role: 'vector', columns: 64 }, smolLm2)).toBe('F32');
    expect(pureTensorType('Q4_K', 172)).toBe('F16');
    expect(pureTensorType('Q6_K', 576)).toBe('Q8_0');
    expect(pureTensorType('Q5_K', 576)).toBe('Q5_1');
    expect(pureTensorType('Q3_K', 576)).toBe('Q4_0');
  });
});
