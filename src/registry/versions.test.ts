// A version's method in words, read from what it holds (a soft version's PEFT config names its method),
// and the diff between two versions and between the specs they serve with.
import { describe, expect, it } from 'vitest';
import type { TaskSpec } from '../tasks/index.js';
import type { PromptVersion } from './registry.js';
import {
  diffServingSpecs,
  diffVersions,
  versionMethod,
  versionShapeText,
  versionTestScore,
} from './versions.js';

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

describe('versionShapeText and versionTestScore', () => {
  const soft = (adapterConfig: Record<string, unknown>, metrics?: Record<string, unknown>) => ({
    kind: 'soft' as const,
    content: { adapterConfig, ...(metrics && { promptune: { metrics } }) },
  });

  it("says what tells versions of a method apart: a LoRA's rank and alpha, a prompt's positions", () => {
    expect(versionShapeText(soft({ peft_type: 'LORA', r: 8, lora_alpha: 16 }))).toBe('r 8, alpha 16');
    expect(versionShapeText(soft({ peft_type: 'LORA', r: 4, lora_alpha: 8, use_rslora: true }))).toBe(
      'r 4, alpha 8, rslora',
    );
    expect(versionShapeText(soft({ peft_type: 'PROMPT_TUNING', num_virtual_tokens: 16 }))).toBe('16 tokens');
    expect(versionShapeText(soft({ peft_type: 'P_TUNING', num_virtual_tokens: 20 }))).toBe('20 tokens');
    expect(versionShapeText(soft({ peft_type: 'PREFIX_TUNING', num_virtual_tokens: 16 }))).toBe(
      '16 positions',
    );
    expect(versionShapeText(soft({ peft_type: 'MULTITASK_PROMPT_TUNING', num_ranks: 4 }))).toBe('rank 4');
    expect(versionShapeText({ kind: 'hard', content: { template: '{{input}}' } })).toBeUndefined();
    expect(versionShapeText(soft({ peft_type: 'LORA' }))).toBeUndefined();
  });

  it('gives the recorded test score: label accuracy on a label task, as it is served, else exact match', () => {
    expect(versionTestScore(soft({}, { testExactMatch: 0.4, testLabelAccuracy: 0.69921875 }))).toBe(
      '0.699 (labels)',
    );
    expect(versionTestScore(soft({}, { testExactMatch: 0.9765625 }))).toBe('0.977');
    expect(versionTestScore(soft({}))).toBeUndefined();
    expect(versionTestScore({ content: { template: '{{input}}' } })).toBeUndefined();
  });
});

describe('diffVersions', () => {
  const version = (kind: 'hard' | 'soft', content: Record<string, unknown>) =>
    ({ kind, content }) as PromptVersion;

  it('diffs hard prompts field by field, whole', () => {
    const a = version('hard', { template: 'Q: {{input}}', demos: [{ input: 'a', target: 'b' }] });
    const b = version('hard', { template: 'Question: {{input}}', demos: [{ input: 'a', target: 'b' }] });
    expect(diffVersions(a, b)).toEqual(['@@ template', '- "Q: {{input}}"', '+ "Question: {{input}}"']);
    expect(diffVersions(a, a)).toEqual([]);
  });

  it('diffs adapters by method, then each setting by its path, a long list by its size', () => {
    const tokens = (text: string) => Array.from({ length: 16 }, () => [{ text, cosine: 0.5 }]);
    const prompt = version('soft', {
      adapterConfig: { peft_type: 'PROMPT_TUNING', num_virtual_tokens: 16 },
      promptune: { metrics: { devExactMatch: 0.5 }, nearestTokens: tokens(' Tim'), init: 'text' },
    });
    const lora = version('soft', {
      adapterConfig: { peft_type: 'LORA', r: 8, target_modules: ['q_proj', 'v_proj'] },
      promptune: { metrics: { devExactMatch: 0.75 } },
    });
    expect(diffVersions(prompt, lora)).toEqual([
      '@@ method',
      '- soft prompt',
      '+ LoRA',
      '@@ adapterConfig',
      '- num_virtual_tokens: 16',
      '- peft_type: "PROMPT_TUNING"',
      '+ peft_type: "LORA"',
      '+ r: 8',
      '+ target_modules: ["q_proj","v_proj"]',
      '@@ promptune',
      '- init: "text"',
      '- metrics.devExactMatch: 0.5',
      '+ metrics.devExactMatch: 0.75',
      '- nearestTokens: 16 entries',
    ]);
    // the same method: no method line; a long list that changed but not in size says so in one line
    const retrained = version('soft', {
      ...prompt.content,
      promptune: { ...(prompt.content.promptune as object), nearestTokens: tokens(' Lily') },
    });
    expect(diffVersions(prompt, retrained)).toEqual(['@@ promptune', '~ nearestTokens: 16 entries, changed']);
    // a hard prompt against an adapter: each side's own fields, none shown as undefined
    const hard = version('hard', { template: '{{input}}' });
    const lines = diffVersions(hard, lora);
    expect(lines.slice(0, 3)).toEqual(['@@ method', '- hard prompt', '+ LoRA']);
    expect(lines).toContain('- template: "{{input}}"');
    expect(lines.join('\n')).not.toContain('undefined');
  });
});

describe('diffServingSpecs', () => {
  it('names each setting of the serving spec that changed, leaving the prompt to the version', () => {
    const spec = {
      name: 'gender',
      prompt: { template: '{{input}}' },
      output: { kind: 'label', labels: [' boy', ' girl'] },
      metrics: ['exact_match'],
    } as unknown as TaskSpec;
    const constrained = {
      ...spec,
      prompt: { template: 'Gender: {{input}}' },
      decoding: { constrain: true },
    } as unknown as TaskSpec;
    expect(diffServingSpecs(spec, constrained)).toEqual(['@@ serving spec', '+ decoding.constrain: true']);
    expect(diffServingSpecs(constrained, spec)).toEqual(['@@ serving spec', '- decoding.constrain: true']);
    const relabelled = { ...spec, output: { kind: 'label', labels: [' boy', ' girl', ' child'] } };
    expect(diffServingSpecs(spec, relabelled as unknown as TaskSpec)).toEqual([
      '@@ serving spec',
      '- output.labels: [" boy"," girl"]',
      '+ output.labels: [" boy"," girl"," child"]',
    ]);
    expect(diffServingSpecs(spec, { ...spec, prompt: { template: 'x' } } as unknown as TaskSpec)).toEqual([]);
    // generation settings both versions hold themselves are theirs, not the spec's
    const warmer = { ...spec, generation: { temperature: 0.7 } } as unknown as TaskSpec;
    expect(diffServingSpecs(spec, warmer)).toEqual(['@@ serving spec', '+ generation.temperature: 0.7']);
    expect(diffServingSpecs(spec, warmer, ['generation'])).toEqual([]);
    // the data files a spec names are not how it serves
    const moved = { ...spec, data: { train: '/elsewhere/train.jsonl' } } as unknown as TaskSpec;
    expect(diffServingSpecs(spec, moved)).toEqual([]);
  });
});
