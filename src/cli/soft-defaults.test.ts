// soft train's defaults where the flags say nothing: the prompt's start (the labels' embeddings for prompt
// tuning on a label task) and how often dev is scored (four times an epoch).
import { describe, expect, it } from 'vitest';
import { defaultInit } from './soft-methods.js';
import { quarterEpoch } from './soft-training.js';

describe("soft train's defaults", () => {
  const labels = [' girl', ' boy'];
  const none = new Set<string>();
  it('starts prompt tuning on a label task from its labels, and everything else as --init says', () => {
    const prompt = { method: 'prompt-tuning', init: 'sample-vocab' };
    expect(defaultInit(prompt, none, labels)).toBe('class-labels');
    expect(defaultInit(prompt, none, undefined)).toBe('sample-vocab'); // a generation task
    expect(defaultInit(prompt, new Set(['init']), labels)).toBe('sample-vocab'); // written
    expect(defaultInit({ ...prompt, init: 'text' }, new Set(['init-from']), labels)).toBe('text');
    expect(defaultInit({ ...prompt, source: 'multitask' }, none, labels)).toBe('sample-vocab');
    for (const method of ['prefix-tuning', 'multitask-prompt-tuning', 'p-tuning', 'lora'])
      expect(defaultInit({ method, init: 'sample-vocab' }, none, labels)).toBe('sample-vocab');
  });

  it('scores dev four times an epoch, at least every step', () => {
    expect(quarterEpoch(512, 8)).toBe(16);
    expect(quarterEpoch(500, 8)).toBe(15); // 63 steps an epoch
    expect(quarterEpoch(48, 8)).toBe(1);
    expect(quarterEpoch(3, 8)).toBe(1);
  });
});
