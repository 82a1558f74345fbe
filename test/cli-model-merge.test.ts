// `promptune model merge` as a user runs it: PEFT's LoRA adapter merged into the Hugging Face copy of
// stories260K is a model whose answers and loss are the base model's with the adapter, read by soft eval
// as full fine-tuning's folder is; what cannot merge is refused with a code.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { promptune, slice } from './cli-soft-helpers.js';
import { repositoryRoot, stories } from './models.js';

const fixture = (name: string) => join(repositoryRoot, 'test', 'fixtures', name, 'adapter');

describe('promptune model merge', () => {
  it("writes a model that answers as the base with the adapter, in the base's format", () => {
    const data = slice('name', { test: 24 });
    const out = join(mkdtempSync(join(tmpdir(), 'promptune-merge-')), 'merged');
    const merged = promptune(
      ...['model', 'merge', '--model', stories.huggingFace, '--adapter', fixture('peft-lora'), '--out', out],
      '--json',
    );
    expect(merged.status, merged.stderr).toBe(0);
    expect(JSON.parse(merged.stdout)).toMatchObject({
      model: out,
      method: 'merged-lora',
      rank: 4,
      projections: 35,
    });
    // a Hugging Face directory, as its base was, with what it was merged from
    expect(JSON.parse(readFileSync(join(out, 'promptune.json'), 'utf8'))).toMatchObject({
      format: 'promptune-fine-tuned-model',
      method: 'merged-lora',
      model: '.',
      training: { rank: 4, alpha: 8 },
    });
    const test = join(data, 'test.jsonl');
    const withAdapter = JSON.parse(
      promptune(
        'soft',
        'eval',
        '--model',
        stories.huggingFace,
        '--adapter',
        fixture('peft-lora'),
        '--data',
        test,
        '--json',
      ).stdout,
    ) as { accuracy: number; loss: number };
    const alone = JSON.parse(
      promptune('soft', 'eval', '--model', stories.huggingFace, '--adapter', out, '--data', test, '--json')
        .stdout,
    ) as { accuracy: number; loss: number };
    expect(alone.accuracy).toBe(withAdapter.accuracy);
    expect(alone.loss).toBeCloseTo(withAdapter.loss, 4);
    // and it is a model of its own: generate runs it as --model
    const generated = promptune(
      'generate',
      '--model',
      out,
      '--prompt',
      'Once upon a time',
      '--max-tokens',
      '4',
    );
    expect(generated.status, generated.stderr).toBe(0);
  });

  it('merges a LoRA version of the registry, as its folder would be merged', () => {
    const data = slice('name', { train: 16, dev: 8, test: 16 });
    const database = join(data, 'registry.sqlite');
    const trained = promptune(
      ...['soft', 'train', '--method', 'lora', '--model', stories.gguf, '--data', data],
      ...['--out', join(data, 'lora'), '--steps', '4', '--push', '--db', database, '--json'],
    );
    expect(trained.status, trained.stderr).toBe(0);
    const { pushed } = JSON.parse(trained.stdout) as { pushed: string };
    const out = join(data, 'merged');
    const merged = promptune(
      ...['model', 'merge', '--model', stories.gguf, '--version', pushed, '--db', database, '--out', out],
    );
    expect(merged.status, merged.stderr).toBe(0);
    expect(merged.stdout).toContain(`merged ${pushed} (LoRA of rank 8`);
    expect(JSON.parse(readFileSync(join(out, 'promptune.json'), 'utf8')).training.adapter).toBe(pushed);
    const test = join(data, 'test.jsonl');
    const evaluate = (adapter: string) =>
      JSON.parse(
        promptune('soft', 'eval', '--model', stories.gguf, '--adapter', adapter, '--data', test, '--json')
          .stdout,
      ) as { loss: number };
    expect(evaluate(out).loss).toBeCloseTo(evaluate(join(data, 'lora')).loss, 4);
    // one of --adapter and --version
    expect(promptune('model', 'merge', '--model', stories.gguf, '--out', join(data, 'x')).stderr).toContain(
      'code: CLI_INVALID_OPTION',
    );
  });

  it('refuses an adapter that is no change of weights, and a folder it would write into', () => {
    const prefix = promptune(
      ...['model', 'merge', '--model', stories.huggingFace, '--adapter', fixture('peft-prefix')],
      ...['--out', join(mkdtempSync(join(tmpdir(), 'promptune-merge-')), 'merged')],
    );
    expect(prefix.status).toBe(1);
    expect(prefix.stderr).toContain('is a PREFIX_TUNING adapter; only a LoRA adapter merges');
    expect(prefix.stderr).toContain('code: ADAPTER_NOT_MERGEABLE');
    const full = mkdtempSync(join(tmpdir(), 'promptune-merge-'));
    mkdirSync(join(full, 'keep'));
    writeFileSync(join(full, 'keep', 'notes.txt'), 'mine');
    const occupied = promptune(
      ...[
        'model',
        'merge',
        '--model',
        stories.huggingFace,
        '--adapter',
        fixture('peft-lora'),
        '--out',
        join(full, 'keep'),
      ],
    );
    expect(occupied.stderr).toContain('code: OUTPUT_NOT_EMPTY');
    expect(readFileSync(join(full, 'keep', 'notes.txt'), 'utf8')).toBe('mine');
  });
});
