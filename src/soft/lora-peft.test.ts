// LoRA against the real PEFT (fixture: tools/reference/peft_lora.py, PEFT 0.21 on stories260K, rank 4 on
// all seven projections): the adapter PEFT saved loads and gives PEFT's logits, loss and every lora_A and
// lora_B gradient, ten AdamW steps follow PEFT's losses and end on its matrices, and the adapter written
// back holds PEFT's tensors under PEFT's names. With PROMPTUNE_PEFT_PYTHON (a Python with torch and peft),
// PEFT itself loads the adapter promptune wrote (a rank-stabilized one too) and gives the same logits.
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maxAbsDiff, stories } from '../../test/models.js';
import {
  expectPeftRoundTrip,
  peftLogits,
  readPeftFixture,
  rowLogitsDifference,
  tensorDifferences,
  type FixtureBatch,
} from '../../test/peft-fixtures.js';
import {
  inputGradients,
  loadModel,
  openSafetensors,
  packAdapter,
  tokenEmbeddingRow,
  writeSafetensors,
} from '../engine/index.js';
import { loadLoraAdapter, loraTensors, readLoraConfig, saveLoraAdapter } from './lora-adapter.js';
import { modelFingerprint } from './model-fingerprint.js';
import { readAdapterMetadata, writeAdapterFiles } from './peft-adapter.js';
import { adamStep, optimizerState } from './optimizer.js';

const {
  folder: fixture,
  reference,
  tensors: fixtureTensors,
} = readPeftFixture<
  FixtureBatch & {
    loss: number;
    losses: number[];
  }
>('peft-lora');

/** Flattens tensors named as loraTensors names them, in the order packAdapter packs them. */
function packed(names: string[], read: (name: string) => Float32Array): Float32Array {
  return Float32Array.from(names.flatMap((name) => Array.from(read(name))));
}

describe('LoRA against PEFT', async () => {
  const { model } = await loadModel(stories.huggingFace);
  const { adapter, config } = loadLoraAdapter(join(fixture, 'adapter'), model);
  const expected = fixtureTensors;
  const C = model.config.hiddenSize;
  const B = reference.rows.length;
  const T = Math.max(...reference.rows.map((row) => row.length));
  const tokens = new Int32Array(B * T);
  const targets = new Int32Array(B * T).fill(-1);
  reference.rows.forEach((row, b) => {
    tokens.set(row, b * T);
    for (let t = row.length - reference.targetTokens; t < row.length; t++) targets[b * T + t - 1] = row[t];
  });
  const embeddings = new Float32Array(B * T * C);
  tokens.forEach((id, i) => embeddings.set(tokenEmbeddingRow(model, id), i * C));
  const names = Object.keys(loraTensors(adapter));

  it('reads rank 4, alpha 8, on all seven projections of five layers', () => {
    expect(config.r).toBe(4);
    expect(adapter.scale).toBe(2);
    expect(names).toHaveLength(5 * 7 * 2);
  });

  it("gives PEFT's logits at every real position", () => {
    const logits = model.forward({ batch: B, time: T, tokens, adapters: new Array(B).fill(adapter) });
    const peft = expected.get('logits')!;
    const V = model.config.vocabularySize;
    const diff = rowLogitsDifference(logits, peft, reference.rows, T, V);
    console.log(`LoRA logits max abs diff ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(2e-4);
    // and the adapter matters: without it the logits are far from PEFT's
    const frozen = model.forward({ batch: B, time: T, tokens });
    expect(maxAbsDiff(frozen.subarray(0, T * V), peft.subarray(0, T * V))).toBeGreaterThan(0.1);
  });

  it("gives PEFT's loss and every lora_A and lora_B gradient", () => {
    const result = inputGradients(model, { batch: B, time: T, embeddings, targets, adapter });
    expect(result.loss).toBeCloseTo(reference.loss, 4);
    const peft = packed(names, (name) => expected.get(`grad.${name}`)!);
    const ours = result.adapterGradients!;
    const scale = Math.max(...peft.map(Math.abs));
    const diff = maxAbsDiff(ours, peft);
    console.log(`LoRA gradient max abs diff ${diff.toExponential(2)} (largest ${scale.toExponential(2)})`);
    expect(ours.length).toBe(peft.length);
    expect(diff).toBeLessThan(1e-4 * scale);
  });

  it("follows PEFT's losses for ten AdamW steps and ends on its matrices", () => {
    const { adapter: trained, values } = packAdapter(adapter);
    const state = optimizerState(values.length);
    const losses: number[] = [];
    for (let step = 0; step < reference.steps; step++) {
      const result = inputGradients(model, { batch: B, time: T, embeddings, targets, adapter: trained });
      losses.push(result.loss);
      const options = { kind: 'adamw', learningRate: reference.learningRate, weightDecay: 0 } as const;
      adamStep(values, result.adapterGradients!, state, options, reference.learningRate);
    }
    console.log(`LoRA losses ${losses.map((loss) => loss.toFixed(4)).join(' ')}`);
    losses.forEach((loss, step) => expect(loss).toBeCloseTo(reference.losses[step], 3));
    const peft = packed(names, (name) => expected.get(`trained.${name}`)!);
    const diff = maxAbsDiff(values, peft);
    console.log(`LoRA trained matrices max abs diff ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-3);
  });

  it("writes PEFT's tensors back under PEFT's names", () => {
    const directory = mkdtempSync(join(tmpdir(), 'promptune-lora-'));
    saveLoraAdapter(directory, adapter, model, { baseModelName: 'stories260K-hf', alpha: 8 });
    expect(tensorDifferences(directory, join(fixture, 'adapter'))).toEqual([]);
    const again = loadLoraAdapter(directory, model);
    expect(again.config).toMatchObject({ r: 4, lora_alpha: 8, peft_type: 'LORA' });
    expectPeftRoundTrip('peft_lora', directory, expected.get('logits')!, "promptune's adapter");
  });

  it("names a multimodal Gemma 3's layers as transformers does, and reads that form and the older one back", () => {
    // PEFT on Gemma3ForConditionalGeneration names model.language_model.layers: under model.layers it
    // applied nothing and only warned of missing keys (trial S)
    const wrapped = Object.assign(
      Object.create(Object.getPrototypeOf(model) as object) as typeof model,
      model,
      {
        config: { ...model.config, layersModule: 'model.language_model.layers' },
      },
    );
    const directory = mkdtempSync(join(tmpdir(), 'promptune-lora-multimodal-'));
    saveLoraAdapter(directory, adapter, wrapped, { baseModelName: 'tiny-gemma3-multimodal', alpha: 8 });
    const written = openSafetensors([join(directory, 'adapter_model.safetensors')]);
    const names = written.names();
    written.close();
    expect(names).toContain('base_model.model.model.language_model.layers.0.self_attn.q_proj.lora_A.weight');
    expect(names.every((name) => name.startsWith('base_model.model.model.language_model.layers.'))).toBe(
      true,
    );
    const again = loadLoraAdapter(directory, model);
    const logits = (lora: typeof adapter) =>
      model.forward({ batch: B, time: T, tokens, adapters: new Array(B).fill(lora) });
    expect(maxAbsDiff(logits(again.adapter), logits(adapter))).toBe(0);
    // PEFT's own file in transformers 4's layout (language_model.model.layers) reads as well
    const older = mkdtempSync(join(tmpdir(), 'promptune-lora-multimodal-older-'));
    cpSync(join(fixture, 'adapter', 'adapter_config.json'), join(older, 'adapter_config.json'));
    const source = openSafetensors([join(fixture, 'adapter', 'adapter_model.safetensors')]);
    writeSafetensors(
      join(older, 'adapter_model.safetensors'),
      Object.fromEntries(
        source
          .names()
          .map((name) => [
            name.replace('base_model.model.model.layers', 'base_model.model.language_model.model.layers'),
            { shape: source.shape(name), data: source.read(name) as Float32Array },
          ]),
      ),
    );
    source.close();
    expect(maxAbsDiff(logits(loadLoraAdapter(older, model).adapter), logits(adapter))).toBe(0);
  });

  it('writes a rank-stabilized adapter (--rslora) that reads back, and PEFT reads, at alpha / √rank', () => {
    const directory = mkdtempSync(join(tmpdir(), 'promptune-lora-rs-'));
    const stabilized = { ...adapter, scale: 8 / Math.sqrt(4) };
    saveLoraAdapter(directory, stabilized, model, {
      baseModelName: 'stories260K-hf',
      alpha: 8,
      rankStabilized: true,
    });
    const again = loadLoraAdapter(directory, model);
    expect(again.config).toMatchObject({ r: 4, lora_alpha: 8, use_rslora: true });
    expect(again.adapter.scale).toBe(4);
    const peft = peftLogits('peft_lora', directory);
    if (!peft) return; // PEFT itself only with PROMPTUNE_PEFT_PYTHON
    const ours = model.forward({ batch: B, time: T, tokens, adapters: new Array(B).fill(again.adapter) });
    const diff = rowLogitsDifference(ours, peft, reference.rows, T, model.config.vocabularySize);
    console.log(`rsLoRA loaded by PEFT: logits max abs diff ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(2e-4);
  });

  it("on the model's GGUF copy (its query and key rows interleaved): PEFT's logits, PEFT's tensors written back, and an older file in that order read", async () => {
    const gguf = (await loadModel(stories.gguf)).model;
    const loaded = loadLoraAdapter(join(fixture, 'adapter'), gguf);
    const logits = gguf.forward({ batch: B, time: T, tokens, adapters: new Array(B).fill(loaded.adapter) });
    const V = gguf.config.vocabularySize;
    const diff = rowLogitsDifference(logits, expected.get('logits')!, reference.rows, T, V);
    console.log(`LoRA on the GGUF copy: logits max abs diff ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(2e-4);
    // written from the GGUF copy, the files are PEFT's (Hugging Face's order), and say so
    const directory = mkdtempSync(join(tmpdir(), 'promptune-lora-gguf-'));
    saveLoraAdapter(directory, loaded.adapter, gguf, { baseModelName: 'stories260K.gguf', alpha: 8 });
    expect(tensorDifferences(directory, join(fixture, 'adapter'))).toEqual([]);
    expect(readAdapterMetadata(directory)?.queryKeyOrder).toBe('rotate-half');
    expectPeftRoundTrip('peft_lora', directory, expected.get('logits')!, 'the GGUF copy’s adapter');
    // a file promptune wrote before it recorded the order holds the GGUF copy's: it reads as it was meant
    const older = mkdtempSync(join(tmpdir(), 'promptune-lora-older-'));
    writeAdapterFiles(older, loraTensors(loaded.adapter), readLoraConfig(join(fixture, 'adapter')), {
      format: 'promptune-soft-prompt',
      layout: 'peft',
      method: 'lora',
      baseModel: { name: 'stories260K.gguf', sha256: modelFingerprint(gguf) },
    });
    expect(packAdapter(loadLoraAdapter(older, model).adapter).values).toEqual(packAdapter(adapter).values);
    expect(packAdapter(loadLoraAdapter(older, gguf).adapter).values).toEqual(
      packAdapter(loaded.adapter).values,
    );
  });
});
