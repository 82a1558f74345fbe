// Where the prompt, BOS, input, target and padding land in each layout, and which positions carry targets.
import { describe, expect, it } from 'vitest';
import { stories } from '../../test/models.js';
import { loadModel } from '../engine/index.js';
import { buildBatch, promptGradient } from './sequences.js';
import type { SoftPrompt } from './soft-prompt.js';

describe('sequence layouts', async () => {
  const { model } = await loadModel(stories.gguf);
  const C = model.config.hiddenSize;
  const prompt: SoftPrompt = {
    virtualTokens: 2,
    hiddenSize: C,
    values: Float32Array.from({ length: 2 * C }, (_, i) => 100 + i),
    layout: 'bos-first',
  };
  const row = (batch: ReturnType<typeof buildBatch>, b: number, t: number) =>
    Array.from(batch.embeddings.subarray((b * batch.time + t) * C, (b * batch.time + t) * C + 2));
  const token = (id: number) =>
    Array.from((model.weights.embedding as Float32Array).subarray(id * C, id * C + 2));
  const examples = [
    { inputIds: [1, 10, 11], targetIds: [20, 21] },
    { inputIds: [1, 12], targetIds: [22] },
  ];

  it.each([
    ['bos-first', true, [1, 'p0', 'p1', 10, 11, 20, 21], 1],
    ['peft', true, ['p0', 'p1', 1, 10, 11, 20, 21], 0],
    ['bos-first', false, ['p0', 'p1', 1, 10, 11, 20, 21], 0],
  ] as const)('%s layout, BOS %s', (layout, bos, expected, promptStart) => {
    const batch = buildBatch(
      model,
      { ...prompt, layout },
      examples.map((example) => ({ ...example, bos })),
    );
    expect(batch.time).toBe(7);
    expect(batch.promptStart).toBe(promptStart);
    expected.forEach((item, t) =>
      expect(row(batch, 0, t)).toEqual(
        typeof item === 'string'
          ? Array.from(prompt.values.subarray(Number(item[1]) * C, Number(item[1]) * C + 2))
          : token(item),
      ),
    );
    // row 1 is padded with token 0 after its 5 positions; targets sit one position before each target token
    expect(row(batch, 1, 6)).toEqual(token(0));
    expect(Array.from(batch.targets.subarray(0, 7))).toEqual([-1, -1, -1, -1, 20, 21, -1]);
    expect(Array.from(batch.targets.subarray(7, 14))).toEqual([-1, -1, -1, 22, -1, -1, -1]);
    expect(Array.from(batch.lengths)).toEqual([7, 5]);
    // the prompt gradient reads the prompt's own positions
    const dembeddings = new Float32Array(batch.batch * batch.time * C);
    dembeddings[(promptStart + 1) * C] = 3;
    dembeddings[(batch.time + promptStart + 1) * C] = 4;
    expect(promptGradient(prompt, batch, dembeddings)[C]).toBe(7);
  });
});
