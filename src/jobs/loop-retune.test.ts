// The method a loop's soft re-tune takes from the version the label serves, read off PEFT configs the
// real PEFT wrote (test/fixtures) and the shared prompt-tuning example; the policy's own options win.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../../test/models.js';
import { retuneMethod } from './loop-retune.js';

const config = (path: string) =>
  JSON.parse(readFileSync(join(repositoryRoot, path, 'adapter_config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
const soft = (adapterConfig: Record<string, unknown>) => ({
  kind: 'soft' as const,
  number: 3,
  content: { adapterConfig },
});
const lora = config('test/fixtures/peft-lora/adapter');

describe("a soft re-tune's method", () => {
  it.each([
    [
      'LoRA',
      lora,
      ['--method', 'lora', '--rank', '4', '--alpha', '8'],
      ['--targets', 'up_proj,down_proj,q_proj,v_proj,o_proj,k_proj,gate_proj'],
    ],
    ['LoRA with dropout', { ...lora, lora_dropout: 0.1 }, ['--method', 'lora'], ['--dropout', '0.1']],
    [
      'prefix',
      config('test/fixtures/peft-prefix/adapter'),
      ['--method', 'prefix-tuning'],
      ['--virtual-tokens', '4'],
    ],
    [
      'prefix through its MLP',
      { ...config('test/fixtures/peft-prefix/adapter'), prefix_projection: true },
      ['--method', 'prefix-tuning', '--virtual-tokens', '4'],
      ['--prefix-projection', '--encoder-hidden', '24'],
    ],
    [
      'P-tuning',
      config('test/fixtures/peft-p-tuning/adapter'),
      ['--method', 'p-tuning', '--virtual-tokens', '4'],
      ['--encoder', 'mlp', '--encoder-hidden', '24'],
    ],
    [
      'P-tuning (LSTM)',
      config('test/fixtures/peft-p-tuning-lstm/adapter'),
      ['--method', 'p-tuning'],
      ['--encoder', 'lstm'],
    ],
    [
      'prompt tuning',
      config('../shared/models/stories260K-hf/peft-prompt-tuning-example'),
      ['--method', 'prompt-tuning', '--virtual-tokens'],
      [
        '--virtual-tokens',
        String(config('../shared/models/stories260K-hf/peft-prompt-tuning-example').num_virtual_tokens),
      ],
    ],
  ])('keeps production’s %s and its shape', (_name, adapterConfig, starts, holds) => {
    const { args, note } = retuneMethod(soft(adapterConfig), ['--steps', '40']);
    expect(args.slice(0, starts.length)).toEqual(starts);
    expect(args.join(' ')).toContain(holds.join(' '));
    expect(note).toMatch(/, as version 3$/);
  });

  it('leaves out a LoRA without dropout’s --dropout, and what the policy gives itself', () => {
    expect(retuneMethod(soft(lora), []).args).not.toContain('--dropout');
    // a rank of the policy's takes soft train's alpha for it, not production's (another scale)
    expect(retuneMethod(soft(lora), ['--rank=16', '--targets', 'q,v']).args).toEqual(['--method', 'lora']);
    expect(retuneMethod(soft(lora), ['--targets', 'q,v']).args).toEqual([
      ...['--method', 'lora', '--rank', '4', '--alpha', '8'],
    ]);
    // dotted module names as PEFT may write them
    const dotted = { ...lora, target_modules: ['model.layers.0.self_attn.q_proj', 'v_proj'] };
    expect(retuneMethod(soft(dotted), []).args).toContain('q_proj,v_proj');
  });

  it("keeps where a prompt's vectors sit (its layout), and a rank-stabilized LoRA's scale", () => {
    const prompt = config('../shared/models/stories260K-hf/peft-prompt-tuning-example');
    const placed = (layout: string) => ({
      kind: 'soft' as const,
      number: 5,
      content: { adapterConfig: prompt, promptune: { layout } },
    });
    expect(retuneMethod(placed('peft'), []).args.join(' ')).toMatch(/ --layout peft$/);
    expect(retuneMethod(placed('bos-first'), []).args.join(' ')).toMatch(/ --layout bos-first$/);
    // PEFT's own file records no layout: it is served in PEFT's
    expect(retuneMethod(soft(prompt), []).args.join(' ')).toMatch(/ --layout peft$/);
    // the policy's --layout wins
    expect(retuneMethod(placed('peft'), ['--layout', 'bos-first']).args).not.toContain('--layout');
    // a rank-stabilized LoRA is re-tuned rank-stabilized
    const stabilized = retuneMethod(soft({ ...lora, use_rslora: true }), []);
    expect(stabilized.args.slice(0, 6)).toEqual(['--method', 'lora', '--rank', '4', '--alpha', '8']);
    expect(stabilized.args.at(-1)).toBe('--rslora');
    expect(stabilized).toMatchObject({ differs: false, note: 'LoRA, as version 3' });
    expect(retuneMethod(soft(lora), [])).toMatchObject({ differs: false, note: 'LoRA, as version 3' });
  });

  it('keeps the MLP a prefix of ours was trained through, which its training records', () => {
    const prefix = config('test/fixtures/peft-prefix/adapter');
    const ours = {
      kind: 'soft' as const,
      number: 4,
      content: { adapterConfig: prefix, promptune: { training: { projection: 32 } } },
    };
    expect(retuneMethod(ours, []).args).toEqual([
      ...[
        '--method',
        'prefix-tuning',
        '--virtual-tokens',
        '4',
        '--prefix-projection',
        '--encoder-hidden',
        '32',
      ],
    ]);
  });

  it('adds nothing when the policy gives an option production’s method would refuse beside it', () => {
    for (const option of ['--virtual-tokens', '--init', '--init-from', '--layout'])
      expect(retuneMethod(soft(lora), [option, 'x'])).toEqual({
        args: [],
        note: `soft train's default method: the policy's ${option} is not an option of version 3's LoRA`,
        differs: true,
      });
    const prefix = config('test/fixtures/peft-prefix/adapter');
    expect(retuneMethod(soft(prefix), ['--init', 'text']).args[1]).toBe('prefix-tuning');
    expect(retuneMethod(soft({ ...prefix, prefix_projection: true }), ['--init', 'text']).args).toEqual([]);
  });

  it('adds nothing when the policy names a method, production is a hard prompt, or the label is unset', () => {
    expect(retuneMethod(soft(lora), ['--method', 'prefix-tuning'])).toEqual({
      args: [],
      note: "the policy's --method",
      differs: false,
    });
    expect(retuneMethod({ kind: 'hard', number: 2, content: {} }, [])).toEqual({
      args: [],
      note: "soft train's default method (version 2 is a hard prompt)",
      differs: false,
    });
    expect(retuneMethod(undefined, []).args).toEqual([]);
  });

  it('says why a multitask prompt is not re-tuned as itself: its source is not in the version', () => {
    const { args, note, differs } = retuneMethod(soft(config('test/fixtures/peft-multitask/adapter')), []);
    expect(args).toEqual([]);
    expect(differs).toBe(true);
    expect(note).toMatch(
      /version 3's multitask prompt is not re-tuned as itself \(name --method and its --source/,
    );
  });
});
