// `promptune soft train --method full-fine-tuning` as a user runs it: every weight of a copy of the model
// trained, the whole model written as its source was (GGUF, or a Hugging Face directory that transformers
// loads), read back by soft eval and soft generate, a rerun resuming; and what it refuses.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsKernels } from '../src/engine/kernels/index.js';
import { LlamaModel } from '../src/engine/llama.js';
import { loadHuggingFaceDirectory } from '../src/engine/weights/hf-directory.js';
import { evaluateAdapter, generateWithAdapter, promptune, slice } from './cli-soft-helpers.js';
import { repositoryRoot, stories } from './models.js';
import { peftLogits, rowLogitsDifference } from './peft-fixtures.js';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** `soft train --method full-fine-tuning` of `model` on the data folder into `out` (`more`: more options). */
const trainFull = (model: string, data: string, out: string, ...more: string[]) =>
  promptune(
    'soft',
    'train',
    '--method',
    'full-fine-tuning',
    '--model',
    model,
    '--data',
    data,
    '--out',
    out,
    ...more,
  );

describe('promptune soft train --method full-fine-tuning', () => {
  it('fine-tunes every weight of a GGUF model into model.gguf, which eval, generate and a rerun read', () => {
    const data = slice('name', { train: 64, dev: 16, test: 32 });
    const out = join(data, 'full');
    const before = sha256(stories.gguf);
    const train = (...more: string[]) =>
      trainFull(stories.gguf, data, out, '--epochs', '3', '--json', ...more);
    const trained = train();
    expect(trained.stderr).toMatch(/training 24\/24 100%/);
    expect(trained.status).toBe(0);
    const summary = JSON.parse(trained.stdout);
    // the name task's answers are in the input: all 260K weights learn to copy them in three epochs of 64
    expect(summary.test.exactMatch).toBeGreaterThan(0.5);
    expect(sha256(stories.gguf)).toBe(before);
    expect(existsSync(join(out, 'model.gguf'))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'promptune.json'), 'utf8'))).toMatchObject({
      format: 'promptune-fine-tuned-model',
      method: 'full-fine-tuning',
      model: 'model.gguf',
      baseModel: { name: 'stories260K.gguf' },
      metrics: { testExactMatch: summary.test.exactMatch },
      training: { lr: 0.0003 },
    });
    // the folder stands where an adapter would; the model it holds is what runs
    const evaluated = JSON.parse(evaluateAdapter(out, join(data, 'test.jsonl')).stdout);
    expect(evaluated).toMatchObject({ n: 32, accuracy: summary.test.exactMatch });
    expect(generateWithAdapter(out).status).toBe(0);
    const withTask = evaluateAdapter(out, join(data, 'test.jsonl'), '--task', 'name');
    expect(withTask.stderr).toMatch(/ADAPTER_NOT_MULTITASK/);
    // not an adapter to register: it is a model to serve
    const registered = promptune(
      ...['registry', 'push', '--task', join(repositoryRoot, 'examples', 'name.yaml'), '--adapter', out],
      ...['--db', join(data, 'registry.sqlite')],
    );
    expect(registered.status).not.toBe(0);
    expect(registered.stderr).toMatch(
      /holds a fully fine-tuned model, not an adapter[^]*code: ADAPTER_FULL_MODEL/,
    );
    expect(registered.stderr).toContain(`promptune serve --model ${join(out, 'model.gguf')}`);
    // as for an adapter, --model must be the model it was tuned from (here: the tuned model itself)
    const evaluateOn = (...more: string[]) =>
      promptune(
        'soft',
        'eval',
        '--model',
        join(out, 'model.gguf'),
        '--adapter',
        out,
        '--data',
        join(data, 'test.jsonl'),
        '--json',
        ...more,
      );
    expect(evaluateOn().stderr).toMatch(/ADAPTER_WRONG_MODEL/);
    expect(JSON.parse(evaluateOn('--force').stdout)).toMatchObject({ accuracy: summary.test.exactMatch });
    // an output folder holding the base model is refused before training
    const over = trainFull(join(out, 'model.gguf'), data, out);
    expect(over.stderr).toMatch(/MODEL_WRITE_OVER_SOURCE/);
    // a rerun finds the finished checkpoint and writes the same model
    const model = sha256(join(out, 'model.gguf'));
    const rerun = train();
    expect(rerun.status).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ resumedFrom: 24, test: summary.test });
    expect(sha256(join(out, 'model.gguf'))).toBe(model);
    // a whole model is not a registry version
    const pushed = train('--push', '--db', join(data, 'registry.sqlite'));
    expect(pushed.status).not.toBe(0);
    expect(pushed.stderr).toMatch(/CLI_INVALID_OPTION/);
  });

  it('writes a Hugging Face source as a Hugging Face directory that transformers loads', () => {
    const data = slice('name', { train: 16, dev: 8, test: 16 });
    const out = join(data, 'full-hf');
    const trained = trainFull(stories.huggingFace, data, out, '--steps', '4', '--lr', '0.003', '--json');
    expect(trained.status).toBe(0);
    const summary = JSON.parse(trained.stdout);
    const files = readdirSync(out);
    for (const file of ['config.json', 'tokenizer.json', 'model.safetensors', 'promptune.json'])
      expect(files).toContain(file);
    expect(JSON.parse(readFileSync(join(out, 'promptune.json'), 'utf8'))).toMatchObject({ model: '.' });
    const evaluated = promptune(
      'soft',
      'eval',
      '--model',
      stories.huggingFace,
      '--adapter',
      out,
      '--data',
      join(data, 'test.jsonl'),
      '--json',
    );
    expect(JSON.parse(evaluated.stdout)).toMatchObject({ accuracy: summary.test.exactMatch });
    // with a Python that has transformers, it gives the batch the logits our engine gives it
    const theirs = peftLogits('full_fine_tuning', out);
    if (!theirs) return;
    const { config, weights } = loadHuggingFaceDirectory(out);
    const model = new LlamaModel(config, weights, jsKernels);
    const rows = [
      [1, 45, 300, 12, 87, 402, 9],
      [1, 210, 33, 71, 5],
      [1, 97, 150, 260, 18, 44],
    ];
    const time = 7;
    const tokens = new Int32Array(rows.length * time);
    rows.forEach((row, b) => tokens.set(row, b * time));
    const ours = model.forward({
      batch: rows.length,
      time,
      tokens,
      lengths: Int32Array.from(rows, (row) => row.length),
      logits: 'all',
    });
    expect(rowLogitsDifference(ours, theirs, rows, time, config.vocabularySize)).toBeLessThan(1e-3);
  });

  it('refuses a llama2.c source before training, and options it would ignore', () => {
    const data = slice('name', { train: 8, dev: 4 });
    const out = join(data, 'full-bin');
    const refused = trainFull(stories.llama2c, data, out);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/MODEL_WRITE_UNSUPPORTED/);
    expect(existsSync(join(out, 'checkpoint.json'))).toBe(false);
    // it reads none of the other methods' options: one given is refused, not ignored
    const ignored = trainFull(stories.gguf, data, out, '--rank', '4');
    expect(ignored.stderr).toMatch(/--rank would be ignored.*code: CLI_INVALID_OPTION/s);
  });
});
