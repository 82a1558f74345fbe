// The real PEFT 0.21 adapter in ../shared loads and reproduces what PEFT computed with it: the
// next-token logits after each prompt, the greedy target, the loss and the prompt gradient. Our own
// adapters round-trip, and loading one onto another model is refused unless forced.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maxAbsDiff, sharedModels, stories } from '../../test/models.js';
import { argmax, inputGradients, loadModel, seededRandom } from '../engine/index.js';
import { PromptuneError } from '../errors/index.js';
import { matchesFingerprint, modelFingerprint } from './model-fingerprint.js';
import { loadAdapter, saveAdapter } from './peft-adapter.js';
import { buildBatch, promptGradient } from './sequences.js';
import { initSoftPrompt } from './soft-prompt.js';
import { tokenizeExample } from './tokenize-example.js';

const adapterDirectory = join(sharedModels, 'stories260K-hf', 'peft-prompt-tuning-example');
const expected = JSON.parse(readFileSync(join(adapterDirectory, 'expected.json'), 'utf8')) as {
  cases: {
    input: string;
    target: string;
    prompt_ids: number[];
    target_ids: number[];
    last_logits: number[];
    greedy_target_ids: number[];
    loss: number;
    grad_prompt_embeddings: number[][];
  }[];
};

describe('the PEFT example adapter', async () => {
  const { model, tokenizer } = await loadModel(stories.huggingFace);
  const { prompt, config } = loadAdapter(adapterDirectory, model);

  it('loads as a 16 x 64 prompt in PEFT’s layout', () => {
    expect(config.num_virtual_tokens).toBe(16);
    expect(prompt).toMatchObject({ virtualTokens: 16, hiddenSize: 64, layout: 'peft' });
  });

  it.each(expected.cases.map((item, i) => [i, item] as const))(
    'case %i: same logits, greedy target, loss and gradient as PEFT',
    (_i, item) => {
      expect(tokenizeExample(tokenizer, item.input, item.target, 'case')).toEqual({
        inputIds: item.prompt_ids,
        targetIds: item.target_ids,
        bos: true,
      });
      const example = { inputIds: item.prompt_ids, targetIds: item.target_ids };
      // logits after the prompt: the row without its target
      const context = buildBatch(model, prompt, [{ inputIds: item.prompt_ids, targetIds: [] }]);
      const last = model.forward({
        batch: 1,
        time: context.time,
        embeddings: context.embeddings,
        logits: 'last',
      });
      expect(maxAbsDiff(last, item.last_logits)).toBeLessThan(1e-4);
      // greedy decoding of the target, teacher-forced check position by position
      const full = buildBatch(model, prompt, [example]);
      const logits = model.forward({ batch: 1, time: full.time, embeddings: full.embeddings });
      const V = model.config.vocabularySize;
      const greedy = item.target_ids.map((_, j) =>
        argmax(logits.subarray((full.targetStarts[0] + j - 1) * V, (full.targetStarts[0] + j) * V)),
      );
      expect(greedy).toEqual(item.greedy_target_ids);
      // loss and gradient with respect to the prompt
      const { loss, dembeddings } = inputGradients(model, {
        batch: 1,
        time: full.time,
        embeddings: full.embeddings,
        targets: full.targets,
      });
      expect(Math.abs(loss - item.loss) / item.loss).toBeLessThan(1e-4);
      const gradient = promptGradient(prompt, full, dembeddings);
      const reference = item.grad_prompt_embeddings.flat();
      const scale = Math.max(...reference.map(Math.abs));
      expect(maxAbsDiff(gradient, reference) / scale).toBeLessThan(1e-3);
    },
  );
});

describe('our adapters', async () => {
  const { model, tokenizer } = await loadModel(stories.gguf);
  const other = await loadModel(stories.huggingFace);

  it('round-trip through PEFT’s files plus promptune.json', () => {
    const prompt = initSoftPrompt(model, tokenizer, 8, { kind: 'sample-vocab' }, seededRandom(1));
    const directory = mkdtempSync(join(tmpdir(), 'promptune-adapter-'));
    saveAdapter(directory, prompt, model, {
      baseModelName: 'stories260K',
      init: 'sample-vocab',
      task: 'name',
      seed: 1,
      metrics: { dev: 0.5 },
    });
    const loaded = loadAdapter(directory, model);
    expect(loaded.prompt).toEqual(prompt);
    expect(loaded.config).toMatchObject({
      peft_type: 'PROMPT_TUNING',
      task_type: 'CAUSAL_LM',
      num_virtual_tokens: 8,
      token_dim: 64,
      prompt_tuning_init: 'SAMPLE_VOCAB',
    });
    expect(loaded.metadata).toMatchObject({
      layout: 'bos-first',
      task: 'name',
      seed: 1,
      metrics: { dev: 0.5 },
    });
  });

  it('takes a model and its conversion for one model, and adapters recorded before they hashed alike', () => {
    // the HF copy's query rows are rotate-half, the GGUF's interleaved: the same weights, one fingerprint
    expect(other.model.config.ropeStyle).toBe('half');
    expect(model.config.ropeStyle).toBe('interleaved');
    expect(modelFingerprint(other.model)).toBe(modelFingerprint(model));
    // an adapter trained on the HF copy before recorded the rows as loaded: still its model, not the GGUF's
    const asLoaded = (loaded: typeof model) => {
      const { config, weights } = loaded;
      const hash = createHash('sha256').update(
        JSON.stringify([
          config.hiddenSize,
          config.layers,
          config.heads,
          config.kvHeads,
          config.vocabularySize,
        ]),
      );
      const tensors = [weights.embedding, weights.finalNorm, weights.layers[0].query, weights.layers[4].down];
      for (const tensor of tensors as Float32Array[])
        hash.update(new Uint8Array(tensor.buffer, tensor.byteOffset, tensor.byteLength));
      return hash.digest('hex');
    };
    expect(matchesFingerprint(other.model, asLoaded(other.model))).toBe(true);
    expect(matchesFingerprint(model, asLoaded(model))).toBe(true);
    // and the GGUF copy knows that old hash of its HF copy as its own (a version pushed before, from the
    // HF copy, and a push now from the GGUF are one model); another model's old hash it does not
    expect(matchesFingerprint(model, asLoaded(other.model))).toBe(true);
    expect(
      matchesFingerprint(
        model,
        asLoaded({ ...other.model, config: { ...other.model.config, layers: 4 } } as typeof model),
      ),
    ).toBe(false);
  });

  it('refuses another base model unless forced, and a corrupt tensor file', () => {
    const prompt = initSoftPrompt(model, tokenizer, 4, { kind: 'random' }, seededRandom(2));
    const directory = mkdtempSync(join(tmpdir(), 'promptune-adapter-'));
    saveAdapter(directory, prompt, model, { baseModelName: 'stories260K' });
    // the HF copy of stories260K has the same weights but Q/K permuted for rotate-half RoPE
    const changed = {
      ...other.model,
      weights: {
        ...other.model.weights,
        embedding: (other.model.weights.embedding as Float32Array).map((value) => value * 2),
      },
    } as typeof model;
    const error = (() => {
      try {
        loadAdapter(directory, changed);
      } catch (caught) {
        return caught;
      }
    })();
    expect(PromptuneError.isInstance(error) && error.code).toBe('ADAPTER_WRONG_MODEL');
    expect(loadAdapter(directory, changed, { force: true }).prompt.values).toEqual(prompt.values);
    writeFileSync(join(directory, 'adapter_model.safetensors'), 'garbage');
    expect(() => loadAdapter(directory, model)).toThrow(PromptuneError);
  });
});
