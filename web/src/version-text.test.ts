// The word or two that tells two versions of one method apart in the versions table.
import { describe, expect, it } from 'vitest';
import { methodDetail } from './version-text';

const soft = (adapterConfig: object, promptune: object = {}) => ({
  kind: 'soft' as const,
  content: { adapterConfig, promptune },
});

describe('methodDetail', () => {
  it('names what differs between versions of one method', () => {
    expect(methodDetail(soft({ peft_type: 'LORA', r: 8 }))).toBe('r 8');
    const prefix = { peft_type: 'PREFIX_TUNING', num_virtual_tokens: 16 };
    expect(methodDetail(soft(prefix, { init: 'sample-vocab', training: { projection: 32 } }))).toBe(
      'via MLP',
    );
    expect(methodDetail(soft(prefix, { init: 'text' }))).toBe('from text');
    expect(methodDetail(soft(prefix, { init: 'sample-vocab' }))).toBeUndefined();
    expect(methodDetail(soft({ peft_type: 'P_TUNING', encoder_reparameterization_type: 'LSTM' }))).toBe(
      'LSTM encoder',
    );
    expect(methodDetail(soft({ peft_type: 'MULTITASK_PROMPT_TUNING', num_ranks: 4 }))).toBe('rank 4');
    expect(
      methodDetail(soft({ peft_type: 'PROMPT_TUNING', num_virtual_tokens: 16 }, { init: 'class-labels' })),
    ).toBe('class-labels');
  });

  it('says nothing of a hard prompt', () => {
    expect(methodDetail({ kind: 'hard', content: { template: '{{input}}' } })).toBeUndefined();
  });
});
