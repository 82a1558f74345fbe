// Soft prompts hold finite numbers wherever they come from or go: an initialization, a training run
// that diverges (stopped before its checkpoint is overwritten), an adapter about to be saved (never
// written) — each refused with a code naming the first bad index. The PEFT example adapter, with the
// fields PEFT writes, still reads through the schemas.
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nameExamples } from '../../test/name-examples.js';
import { sharedModels, stories } from '../../test/models.js';
import { loadModel, seededRandom } from '../engine/index.js';
import { PromptuneError } from '../errors/index.js';
import { readAdapterConfig, readAdapterMetadata, saveAdapter } from './peft-adapter.js';
import { checkPromptFinite, initSoftPrompt } from './soft-prompt.js';
import { trainSoftPrompt } from './trainer.js';

function caught(run: () => unknown): PromptuneError {
  try {
    run();
  } catch (error) {
    expect(PromptuneError.isInstance(error), String(error)).toBe(true);
    expect((error as PromptuneError).hint).toBeTruthy();
    return error as PromptuneError;
  }
  throw new Error('expected an error');
}

describe('finite soft prompts', async () => {
  const { model, tokenizer } = await loadModel(stories.gguf);
  const examples = nameExamples(tokenizer, 'train', 8);

  it.each([
    ['NaN', [0, 1, NaN, 2], 'value 2 (virtual token 1, dimension 0) is NaN'],
    ['-Infinity', [-Infinity, 0], 'value 0 (virtual token 0, dimension 0) is -Infinity'],
    ['Infinity last', [1, 2, 3, Infinity], 'value 3 (virtual token 1, dimension 1) is Infinity'],
  ])('names the first %s with its index', (_case, values, message) => {
    const error = caught(() => checkPromptFinite(values, 2, 'somewhere', { hint: 'fix it' }));
    expect(error.code).toBe('SOFT_PROMPT_NOT_FINITE');
    expect(error.message).toBe(`somewhere: ${message}, expected a finite number`);
    expect(() => checkPromptFinite([0, -1, 1e30], 2, 'somewhere', { hint: 'fine' })).not.toThrow();
  });

  it('an initialization that is not finite is refused', () => {
    const error = caught(() =>
      initSoftPrompt(model, tokenizer, 4, { kind: 'random', scale: Infinity }, seededRandom(0)),
    );
    expect(error.code).toBe('SOFT_PROMPT_INIT');
    expect(error.message).toContain('the random initialization: value 0');
  });

  it('an adapter that is not finite is never written', () => {
    const prompt = initSoftPrompt(model, tokenizer, 4, { kind: 'sample-vocab' }, seededRandom(0));
    prompt.values[70] = NaN;
    const directory = join(mkdtempSync(join(tmpdir(), 'promptune-finite-')), 'adapter');
    const error = caught(() => saveAdapter(directory, prompt, model, { baseModelName: 'stories260K' }));
    expect(error.code).toBe('SOFT_PROMPT_NOT_FINITE');
    expect(error.message).toContain('value 70 (virtual token 1, dimension 6)');
    expect(existsSync(directory)).toBe(false);
  });

  it('a diverging run stops with TRAIN_DIVERGED and leaves its last checkpoint as it was', () => {
    const initial = initSoftPrompt(model, tokenizer, 4, { kind: 'sample-vocab' }, seededRandom(0));
    const directory = mkdtempSync(join(tmpdir(), 'promptune-diverge-'));
    const checkpoint = join(directory, 'checkpoint.json');
    const saved: { step: number; text: string; modified: number }[] = [];
    // Adam's first step moves every value by about the learning rate: 3e38 stays finite in float32
    // (with a finite dev loss, so step 1 is checkpointed), the second step overflows
    const error = caught(() =>
      trainSoftPrompt(model, initial, examples, examples.slice(0, 2), {
        batchSize: 4,
        evalEvery: 1,
        steps: 4,
        seed: 0,
        directory,
        optimizer: { kind: 'adam', learningRate: 3e38 },
        onProgress: ({ step }) =>
          saved.push({
            step,
            text: readFileSync(checkpoint, 'utf8'),
            modified: statSync(checkpoint).mtimeMs,
          }),
      }),
    );
    expect(error.code).toBe('TRAIN_DIVERGED');
    expect(error.message).toMatch(/^training diverged at step 2: .*Infinity/);
    expect(error.hint).toContain(checkpoint);
    expect(saved.map(({ step }) => step)).toEqual([1]);
    expect({
      step: 1,
      text: readFileSync(checkpoint, 'utf8'),
      modified: statSync(checkpoint).mtimeMs,
    }).toEqual(saved[0]);
  });

  it('the PEFT example adapter’s config and a sidecar we wrote read through their schemas', () => {
    const peft = readAdapterConfig(join(sharedModels, 'stories260K-hf', 'peft-prompt-tuning-example'));
    expect(peft).toMatchObject({
      peft_type: 'PROMPT_TUNING',
      num_virtual_tokens: 16,
      peft_version: '0.21.0',
    });
    const prompt = initSoftPrompt(model, tokenizer, 4, { kind: 'sample-vocab' }, seededRandom(0));
    const directory = mkdtempSync(join(tmpdir(), 'promptune-finite-'));
    saveAdapter(directory, prompt, model, { baseModelName: 'stories260K', metrics: { devLoss: NaN } });
    expect(readAdapterMetadata(directory)).toMatchObject({ layout: 'bos-first', metrics: { devLoss: null } });
  });
});
