// The method and shape of an adapter as soft train's options, read off PEFT configs the real PEFT wrote
// (test/fixtures) and the shared prompt-tuning example; the options a command line writes win.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../../test/models.js';
import {
  adapterShape,
  optionArguments,
  optionForeignTo,
  shapeOptionsBeside,
  type MethodShape,
} from './method-shape.js';

const config = (path: string) =>
  JSON.parse(readFileSync(join(repositoryRoot, path, 'adapter_config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
const lora = config('test/fixtures/peft-lora/adapter');
const prompt = config('../shared/models/stories260K-hf/peft-prompt-tuning-example');
/** The shape's options as arguments, beside those `written`. */
const beside = (shape: MethodShape | undefined, ...written: string[]) =>
  optionArguments(shapeOptionsBeside(shape!, new Set(written)));
const of = (adapterConfig: Record<string, unknown>, metadata?: Record<string, unknown>) =>
  beside(adapterShape(adapterConfig, metadata));

describe("an adapter's method and shape", () => {
  it.each([
    [
      'LoRA',
      lora,
      ['--method', 'lora', '--rank', '4', '--alpha', '8'],
      ['--targets', 'q,k,v,o,gate,up,down'],
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
      prompt,
      ['--method', 'prompt-tuning', '--virtual-tokens'],
      ['--virtual-tokens', String(prompt.num_virtual_tokens)],
    ],
  ])('reads %s', (_name, adapterConfig, starts, holds) => {
    const args = of(adapterConfig);
    expect(args.slice(0, starts.length)).toEqual(starts);
    expect(args.join(' ')).toContain(holds.join(' '));
  });

  it('leaves out a LoRA without dropout’s --dropout, and what the command line writes itself', () => {
    expect(of(lora)).not.toContain('--dropout');
    // a rank written takes soft train's alpha for it, not the adapter's (another scale)
    expect(beside(adapterShape(lora), 'rank', 'targets')).toEqual(['--method', 'lora']);
    expect(beside(adapterShape(lora), 'targets')).toEqual([
      '--method',
      'lora',
      '--rank',
      '4',
      '--alpha',
      '8',
    ]);
    // dotted module names as PEFT may write them
    expect(of({ ...lora, target_modules: ['model.layers.0.self_attn.q_proj', 'v_proj'] })).toContain('q,v');
  });

  it("keeps where a prompt's vectors sit (its layout), and a rank-stabilized LoRA's scale", () => {
    expect(of(prompt, { layout: 'peft' }).join(' ')).toMatch(/ --layout peft$/);
    expect(of(prompt, { layout: 'bos-first' }).join(' ')).toMatch(/ --layout bos-first$/);
    // PEFT's own file records no layout: it is served in PEFT's
    expect(of(prompt).join(' ')).toMatch(/ --layout peft$/);
    expect(beside(adapterShape(prompt, { layout: 'peft' }), 'layout')).not.toContain('--layout');
    const stabilized = of({ ...lora, use_rslora: true });
    expect(stabilized.slice(0, 6)).toEqual(['--method', 'lora', '--rank', '4', '--alpha', '8']);
    expect(stabilized.at(-1)).toBe('--rslora');
  });

  it('keeps the MLP a prefix of ours was trained through, which its training records', () => {
    expect(of(config('test/fixtures/peft-prefix/adapter'), { training: { projection: 32 } })).toEqual([
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

  it("leaves a prefix's MLP width to a command line that writes the MLP itself", () => {
    const projected = adapterShape(
      { ...config('test/fixtures/peft-prefix/adapter'), prefix_projection: true },
      {},
    )!;
    // --no-prefix-projection (or --prefix-projection) written: the shape's --encoder-hidden 24 is its
    // MLP's, not theirs (without one it would be refused as an option a plain prefix does not read)
    expect(optionArguments(shapeOptionsBeside(projected, new Set(['prefix-projection'])))).toEqual([
      ...['--method', 'prefix-tuning', '--virtual-tokens', '4'],
    ]);
  });

  it('names the options a command line writes that the method would refuse beside it', () => {
    for (const option of ['virtual-tokens', 'init', 'init-from', 'layout'])
      expect(optionForeignTo(adapterShape(lora)!, new Set([option, 'steps']))).toBe(option);
    expect(optionForeignTo(adapterShape(lora)!, new Set(['rank', 'steps', 'lr']))).toBeUndefined();
    const prefix = config('test/fixtures/peft-prefix/adapter');
    expect(optionForeignTo(adapterShape(prefix)!, new Set(['init']))).toBeUndefined();
    expect(optionForeignTo(adapterShape({ ...prefix, prefix_projection: true })!, new Set(['init']))).toBe(
      'init',
    );
  });

  it('transfers a multitask prompt made with other tasks from itself, and trains one made alone afresh', () => {
    // PEFT's holds two tasks' factors
    const multitask = config('test/fixtures/peft-multitask/adapter');
    expect(multitask.num_tasks).toBe(2);
    const one = { ...multitask, num_tasks: 1 };
    // soft train-multitask records each task's id; a --source transfer its source
    for (const [adapterConfig, training] of [
      [multitask, {}],
      [one, { taskId: 1 }],
      [one, { source: 'multitask-out' }],
    ] as const) {
      const shape = adapterShape(adapterConfig, { training })!;
      expect(shape).toMatchObject({ method: 'multitask-prompt-tuning', transferFromItself: true });
      expect(optionArguments(shape.options)).toEqual(['--method', 'multitask-prompt-tuning']);
      // a transfer reads --transfer and --source, not a fresh prompt's options
      expect(optionForeignTo(shape, new Set(['transfer']))).toBeUndefined();
      expect(optionForeignTo(shape, new Set(['virtual-tokens']))).toBe('virtual-tokens');
    }
    const alone = adapterShape(one, {
      layout: 'bos-first',
      training: { method: 'multitask-prompt-tuning' },
    })!;
    expect(alone.transferFromItself).toBe(false);
    expect(optionArguments(alone.options)).toEqual([
      ...['--method', 'multitask-prompt-tuning', '--virtual-tokens', String(multitask.num_virtual_tokens)],
      ...['--task-rank', String(multitask.num_ranks), '--layout', 'bos-first'],
    ]);
  });

  it('reads no shape from a config no method of soft train writes', () => {
    expect(adapterShape({ peft_type: 'IA3' })).toBeUndefined();
    expect(adapterShape({})).toBeUndefined();
  });
});
