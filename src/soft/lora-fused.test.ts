// LoRA on a model whose transformers class fuses projections (Phi-3: qkv_proj, gate_up_proj), against
// the real PEFT (fixture: tools/reference/peft_lora_fused.py, PEFT 0.21 on the tiny Phi-3, every linear
// module, o_proj and gate_up_proj with their own ranks and down_proj its own alpha): PEFT's adapter loads
// and gives PEFT's logits; the adapter promptune writes for a Phi-3 holds qkv_proj and gate_up_proj
// (PEFT adapts no q_proj there), reads back exactly, and with PROMPTUNE_PEFT_PYTHON PEFT itself gives
// promptune's logits with it.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maxAbsDiff, repositoryRoot, stories } from '../../test/models.js';
import { peftLogits, readPeftFixture, rowLogitsDifference } from '../../test/peft-fixtures.js';
import {
  defaultKernels,
  LlamaModel,
  loadModel,
  packAdapter,
  seededRandom,
  type LowRankAdapter,
} from '../engine/index.js';
import { loadHuggingFaceDirectory } from '../engine/weights/hf-directory.js';
import {
  initLoraAdapter,
  loadLoraAdapter,
  loraTensors,
  readLoraFolder,
  saveLoraAdapter,
} from './lora-adapter.js';
import { modelFingerprint } from './model-fingerprint.js';
import { writeAdapterFiles } from './peft-adapter.js';

const { folder: fixture, reference, tensors } = readPeftFixture<{ rows: number[][] }>('peft-lora-fused');

describe('LoRA on fused projections (Phi-3) against PEFT', async () => {
  // the tiny Phi-3 has no tokenizer: its weights are read as a model, without one
  const { config, weights } = loadHuggingFaceDirectory(join(repositoryRoot, 'test', 'fixtures', 'tiny-phi3'));
  const model = new LlamaModel(config, weights, defaultKernels());
  const B = reference.rows.length;
  const T = Math.max(...reference.rows.map((row) => row.length));
  const V = model.config.vocabularySize;
  const tokens = new Int32Array(B * T);
  reference.rows.forEach((row, b) => tokens.set(row, b * T));
  const logits = (adapter: LowRankAdapter) =>
    model.forward({ batch: B, time: T, tokens, adapters: new Array(B).fill(adapter) });

  /** A new adapter on `targets` with every B random, as training would leave it. */
  function trained(options: Parameters<typeof initLoraAdapter>[1]): LowRankAdapter {
    const random = seededRandom(7);
    const adapter = initLoraAdapter(model, options, random);
    for (const layer of adapter.layers)
      for (const pair of Object.values(layer)) pair.b.forEach((_, i) => (pair.b[i] = (random() - 0.5) * 0.4));
    return adapter;
  }

  it("reads PEFT's qkv_proj and gate_up_proj, with their own ranks and alphas, and gives PEFT's logits", () => {
    const { adapter } = loadLoraAdapter(join(fixture, 'adapter'), model);
    // gate_up_proj's rank 6 is the largest; o_proj's 2 and down_proj's alpha 3 are folded into it
    expect(adapter.rank).toBe(6);
    expect(Object.keys(adapter.layers[0]).sort()).toEqual(
      ['attentionOutput', 'down', 'gate', 'key', 'query', 'up', 'value'].sort(),
    );
    const peft = tensors.get('logits')!;
    const difference = rowLogitsDifference(logits(adapter), peft, reference.rows, T, V);
    console.log(`fused LoRA logits max abs diff ${difference.toExponential(2)}`);
    expect(difference).toBeLessThan(2e-4);
    const frozen = model.forward({ batch: B, time: T, tokens });
    expect(maxAbsDiff(frozen, peft)).toBeGreaterThan(0.1);
  });

  it("writes q, k, v and gate, up as PEFT's fused modules, which read back exactly and PEFT applies whole", () => {
    for (const rankStabilized of [false, true]) {
      const adapter = trained({ rank: 4, alpha: 8, rankStabilized });
      const directory = mkdtempSync(join(tmpdir(), 'promptune-lora-fused-'));
      saveLoraAdapter(directory, adapter, model, { baseModelName: 'tiny-phi3', alpha: 8, rankStabilized });
      const config = JSON.parse(readFileSync(join(directory, 'adapter_config.json'), 'utf8'));
      expect([...config.target_modules].sort()).toEqual(['down_proj', 'gate_up_proj', 'o_proj', 'qkv_proj']);
      expect(config.rank_pattern).toEqual({ qkv_proj: 12, gate_up_proj: 8 });
      expect(config.alpha_pattern).toEqual(
        rankStabilized
          ? { qkv_proj: 8 * Math.sqrt(3), gate_up_proj: 8 * Math.sqrt(2) }
          : { qkv_proj: 24, gate_up_proj: 16 },
      );
      const again = loadLoraAdapter(directory, model).adapter;
      expect(again.rank).toBe(4);
      const ours = logits(adapter);
      if (!rankStabilized) expect(packAdapter(again).values).toEqual(packAdapter(adapter).values);
      else expect(maxAbsDiff(logits(again), ours)).toBeLessThan(1e-5);
      const peft = peftLogits('peft_lora_fused', directory);
      if (!peft) continue; // PEFT itself only with PROMPTUNE_PEFT_PYTHON
      const difference = rowLogitsDifference(ours, peft, reference.rows, T, V);
      console.log(
        `PEFT loading promptune's fused LoRA (rsLoRA ${rankStabilized}): logits max abs diff ${difference.toExponential(2)}`,
      );
      expect(difference).toBeLessThan(2e-4);
    }
  });

  it('with q and v adapted only, writes k as a zero block, which reads back as not adapted', () => {
    const adapter = trained({ rank: 2, targets: ['query', 'value'] });
    const directory = mkdtempSync(join(tmpdir(), 'promptune-lora-fused-qv-'));
    saveLoraAdapter(directory, adapter, model, { baseModelName: 'tiny-phi3', alpha: 4 });
    const read = readLoraFolder(directory, model.config);
    expect(read.config.target_modules).toEqual(['qkv_proj']);
    expect(read.modules[0]).toEqual(['self_attn.qkv_proj']);
    const again = loadLoraAdapter(directory, model).adapter;
    expect(Object.keys(again.layers[1]).sort()).toEqual(['query', 'value']);
    expect(packAdapter(again).values).toEqual(packAdapter(adapter).values);
  });

  it("refuses a Phi-3's fused adapter on a model without such modules, and one adapting a projection twice", async () => {
    const { model: llama } = await loadModel(stories.huggingFace);
    expect(() => loadLoraAdapter(join(fixture, 'adapter'), llama)).toThrow(
      expect.objectContaining({
        code: 'ADAPTER_SHAPE',
        message: expect.stringMatching(/(qkv|gate_up)_proj, which a llama model does not have/),
      }),
    );
    // q_proj on its own and within qkv_proj: which one PEFT would use is not a question to answer
    const adapter = trained({ rank: 2, targets: ['query', 'key', 'value'] });
    const twice = mkdtempSync(join(tmpdir(), 'promptune-lora-fused-twice-'));
    const tensors = { ...loraTensors(adapter, model.config), ...loraTensors(adapter) };
    const targets = ['q_proj', 'k_proj', 'v_proj', 'qkv_proj'];
    const config = {
      peft_type: 'LORA',
      r: 2,
      lora_alpha: 4,
      target_modules: targets,
      rank_pattern: { qkv_proj: 6 },
    };
    writeAdapterFiles(twice, tensors, config, {
      format: 'promptune-soft-prompt',
      layout: 'peft',
      baseModel: { name: 'tiny-phi3', sha256: modelFingerprint(model) },
    });
    expect(() => readLoraFolder(twice)).toThrow(
      expect.objectContaining({ code: 'ADAPTER_CORRUPT', message: expect.stringMatching(/q_proj twice/) }),
    );
  });
});
