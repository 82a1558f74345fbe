// A version's method in words, read from what it holds (a soft version's PEFT config names its method).
import { describe, expect, it } from 'vitest';
import { versionMethod } from './versions.js';

describe('versionMethod', () => {
  it('names a hard prompt, and each adapter by its peft_type', () => {
    expect(versionMethod({ kind: 'hard', content: { template: '{{input}}' } })).toBe('hard prompt');
    const soft = (peftType: string) =>
      versionMethod({ kind: 'soft', content: { adapterConfig: { peft_type: peftType } } });
    expect(
      ['PROMPT_TUNING', 'LORA', 'PREFIX_TUNING', 'P_TUNING', 'MULTITASK_PROMPT_TUNING'].map(soft),
    ).toEqual(['soft prompt', 'LoRA', 'prefix', 'P-tuning', 'multitask prompt']);
    // a version without a config it knows is still a soft prompt of some kind
    expect(versionMethod({ kind: 'soft', content: {} })).toBe('soft prompt');
  });
});
