// Bad LoRA adapter folders are refused with a code and never half-loaded or allowed to exhaust memory: a
// layer index beyond any model, a matrix given twice, a rank that disagrees with the config, a lora_A
// without its lora_B, a non-finite value, a module the engine does not run, DoRA, a rank or alpha
// pattern that is not one; and one that fits another model's shapes is refused when loaded.
import { cpSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot, stories } from '../../test/models.js';
import { loadModel, openSafetensors, writeSafetensors } from '../engine/index.js';
import { PromptuneError } from '../errors/index.js';
import { loadLoraAdapter, readLoraFolder } from './lora-adapter.js';

const fixture = join(repositoryRoot, 'test', 'fixtures', 'peft-lora', 'adapter');
const prefix = 'base_model.model.model.layers';
const matrix = (rows: number, columns: number, value = 0.01) => ({
  shape: [rows, columns],
  data: new Float32Array(rows * columns).fill(value),
});

/** A copy of the PEFT fixture's folder with these tensors (and optionally another config). */
function folderWith(
  tensors: Record<string, { shape: number[]; data: Float32Array }>,
  config?: object,
): string {
  const directory = mkdtempSync(join(tmpdir(), 'promptune-lora-bad-'));
  cpSync(fixture, directory, { recursive: true });
  writeSafetensors(join(directory, 'adapter_model.safetensors'), tensors);
  if (config) writeFileSync(join(directory, 'adapter_config.json'), JSON.stringify(config));
  return directory;
}

const codeOf = (read: () => unknown) => {
  try {
    read();
  } catch (error) {
    if (PromptuneError.isInstance(error)) return `${error.code}: ${error.message}`;
    throw error;
  }
  return 'loaded';
};

describe('bad LoRA adapters', async () => {
  const { model } = await loadModel(stories.huggingFace);
  const pair = (layer: number, rank = 4) => ({
    [`${prefix}.${layer}.self_attn.q_proj.lora_A.weight`]: matrix(rank, 64),
    [`${prefix}.${layer}.self_attn.q_proj.lora_B.weight`]: matrix(64, rank),
  });

  it.each([
    ['a layer no model has', { ...pair(99999999999) }, /ADAPTER_CORRUPT: .*names layer 99999999999/],
    [
      'a matrix given twice (with and without the adapter name)',
      {
        ...pair(0),
        [`${prefix}.0.self_attn.q_proj.lora_A.default.weight`]: matrix(4, 64),
      },
      /ADAPTER_CORRUPT: .*a second time/,
    ],
    ['a rank the config does not give', { ...pair(0, 3) }, /ADAPTER_CORRUPT: .*rank 4/],
    [
      'lora_A without its lora_B',
      { [`${prefix}.0.self_attn.q_proj.lora_A.weight`]: matrix(4, 64) },
      /ADAPTER_CORRUPT: .*not its partner/,
    ],
    [
      'a non-finite value',
      { ...pair(0), [`${prefix}.0.self_attn.q_proj.lora_B.weight`]: matrix(64, 4, NaN) },
      /ADAPTER_CORRUPT: .*NaN/,
    ],
    [
      'one projection of two widths in two layers',
      { ...pair(0), ...pair(1), [`${prefix}.1.self_attn.q_proj.lora_A.weight`]: matrix(4, 72) },
      /ADAPTER_CORRUPT: .*layers.1.self_attn.q_proj.lora_A.weight takes 72 inputs where .*layers.0.self_attn.q_proj.lora_A.weight takes 64 inputs: a projection has one shape in every layer, so it fits no model/,
    ],
    [
      'projections that disagree on the hidden size',
      {
        ...pair(0),
        [`${prefix}.0.mlp.up_proj.lora_A.weight`]: matrix(4, 48),
        [`${prefix}.0.mlp.up_proj.lora_B.weight`]: matrix(172, 4),
      },
      /ADAPTER_CORRUPT: .*up_proj.lora_A.weight takes 48 inputs where .*q_proj.lora_A.weight takes 64 inputs, and both are the hidden size/,
    ],
    [
      'an attention output reading another width than the query gives',
      {
        ...pair(0),
        [`${prefix}.0.self_attn.o_proj.lora_A.weight`]: matrix(4, 32),
        [`${prefix}.0.self_attn.o_proj.lora_B.weight`]: matrix(64, 4),
      },
      /ADAPTER_CORRUPT: .*o_proj.lora_A.weight takes 32 inputs where .*q_proj.lora_B.weight gives 64 outputs, and both are the attention heads' width/,
    ],
    [
      'a module the engine does not run',
      { [`${prefix}.0.mlp.fc1.lora_A.weight`]: matrix(4, 64) },
      /ADAPTER_UNSUPPORTED: .*mlp.fc1/,
    ],
  ])('refuses %s', (_, tensors, expected) => {
    expect(codeOf(() => readLoraFolder(folderWith(tensors)))).toMatch(expected);
  });

  it('refuses DoRA and a layer beyond the model, and loads a partial adapter', () => {
    const config = { peft_type: 'LORA', r: 4, lora_alpha: 8, use_dora: true };
    expect(codeOf(() => readLoraFolder(folderWith(pair(0), config)))).toMatch(/ADAPTER_UNSUPPORTED: .*DoRA/);
    // a module's own rank or alpha (rank_pattern, alpha_pattern) is read as PEFT reads it; what is not
    // a rank, an alpha or a pattern JavaScript reads is refused
    const patterned = (extra: object) => ({ peft_type: 'LORA', r: 4, lora_alpha: 8, ...extra });
    const own = readLoraFolder(
      folderWith(pair(0, 2), patterned({ rank_pattern: { 'layers.0.self_attn.q_proj': 2 } })),
    );
    expect(own.adapter).toMatchObject({ rank: 2, scale: 2 });
    expect(
      codeOf(() => readLoraFolder(folderWith(pair(0, 2), patterned({ rank_pattern: { v_proj: 2 } })))),
    ).toMatch(/ADAPTER_CORRUPT: .*lora_A of rank 4/);
    expect(
      codeOf(() => readLoraFolder(folderWith(pair(0), patterned({ alpha_pattern: { q_proj: 0 } })))),
    ).toMatch(/ADAPTER_CONFIG_INVALID: .*alpha_pattern gives "q_proj" 0/);
    expect(
      codeOf(() => readLoraFolder(folderWith(pair(0), patterned({ rank_pattern: { q_proj: 2.5 } })))),
    ).toMatch(/ADAPTER_CONFIG_INVALID: .*rank_pattern gives "q_proj" 2.5/);
    expect(
      codeOf(() =>
        readLoraFolder(folderWith(pair(0), patterned({ rank_pattern: { '(?P<name>q_proj)': 2 } }))),
      ),
    ).toMatch(
      /ADAPTER_UNSUPPORTED: .*rank_pattern key "\(\?P<name>q_proj\)" is not a pattern promptune reads/,
    );
    // a fused module (Phi-3's qkv_proj) whose rows do not split into query, key and value
    const fused = {
      [`${prefix}.0.self_attn.qkv_proj.lora_A.weight`]: matrix(4, 64),
      [`${prefix}.0.self_attn.qkv_proj.lora_B.weight`]: matrix(65, 4),
    };
    expect(
      codeOf(() => readLoraFolder(folderWith(fused, patterned({ target_modules: ['qkv_proj'] })))),
    ).toMatch(
      /ADAPTER_SHAPE: .*qkv_proj.lora_B.weight has 65 rows, which do not split into query, key, value/,
    );
    // PEFT's pickle format is named, with how to save it as safetensors
    const pickled = folderWith(pair(0));
    renameSync(join(pickled, 'adapter_model.safetensors'), join(pickled, 'adapter_model.bin'));
    expect(codeOf(() => readLoraFolder(pickled))).toMatch(
      /ADAPTER_UNSUPPORTED: .*adapter_model\.bin, PEFT's pickle format/,
    );
    expect(codeOf(() => loadLoraAdapter(folderWith(pair(7)), model))).toMatch(/ADAPTER_SHAPE: .*layer 7/);
    const wide = {
      [`${prefix}.0.mlp.down_proj.lora_A.weight`]: matrix(4, 100),
      [`${prefix}.0.mlp.down_proj.lora_B.weight`]: matrix(64, 4),
    };
    expect(codeOf(() => readLoraFolder(folderWith(wide)))).toBe('loaded');
    expect(codeOf(() => loadLoraAdapter(folderWith(wide), model))).toMatch(/ADAPTER_SHAPE: .*down/);
    // only layer 2's query adapted, as its config says: the other layers run frozen
    const only = {
      peft_type: 'LORA',
      r: 4,
      lora_alpha: 8,
      target_modules: ['q_proj'],
      layers_to_transform: [2],
    };
    const partial = loadLoraAdapter(folderWith(pair(2), only), model).adapter;
    expect(partial.layers.map((layer) => Object.keys(layer).join())).toEqual(['', '', 'query', '', '']);
    // the fixture's config adapts all seven projections of every layer: a file holding one is incomplete
    expect(codeOf(() => loadLoraAdapter(folderWith(pair(2)), model))).toMatch(
      /ADAPTER_CORRUPT: .*adapts layer 0 self_attn.q_proj, layer 0 self_attn.k_proj, layer 0 self_attn.v_proj and 31 more, whose LoRA matrices the file does not hold/,
    );
    // every projection of two layers, under a config for every layer: a two-layer model's adapter, said so
    // (it was "incomplete … download it again")
    const source = openSafetensors([join(fixture, 'adapter_model.safetensors')]);
    const shallow = Object.fromEntries(
      source
        .names()
        .filter((name) => /\.layers\.[01]\./.test(name))
        .map((name) => [name, { shape: source.shape(name), data: source.read(name) as Float32Array }]),
    );
    source.close();
    expect(codeOf(() => loadLoraAdapter(folderWith(shallow), model))).toMatch(
      /^ADAPTER_SHAPE: the LoRA adapter adapts 2 layers and its config every layer; the model has 5$/,
    );
    // as PEFT matches the names: a pattern, all-linear, a list of layers
    const load = (more: object) =>
      codeOf(() =>
        loadLoraAdapter(folderWith(pair(2), { peft_type: 'LORA', r: 4, lora_alpha: 8, ...more }), model),
      );
    expect(load({ target_modules: '.*q_proj' })).toMatch(
      /ADAPTER_CORRUPT: .*adapts layer 0 self_attn.q_proj, layer 1 self_attn.q_proj, layer 3 self_attn.q_proj and 1 more/,
    );
    expect(load({ target_modules: 'all-linear' })).toMatch(/ADAPTER_CORRUPT: .*and 31 more/);
    expect(load({ target_modules: ['q_proj'], layers_to_transform: [1, 2] })).toMatch(
      /ADAPTER_CORRUPT: .*adapts layer 1 self_attn.q_proj, whose/,
    );
    // a pattern JavaScript does not read (Python's named group) is not judged: the file is taken as it is
    expect(load({ target_modules: ['q_proj'], exclude_modules: '(?P<skip>layers\\.0)' })).toBe('loaded');
  });

  it('refuses what PEFT would compute otherwise: rearranged layers, biases, token rows, base-changing starts, an alpha past float32, another head', () => {
    const config = { peft_type: 'LORA', r: 4, lora_alpha: 8 };
    const read = (more: object) => codeOf(() => readLoraFolder(folderWith(pair(1), { ...config, ...more })));
    expect(read({ layer_replication: [[0, 2]] })).toMatch(/ADAPTER_UNSUPPORTED: .*layer_replication/);
    expect(read({ lora_bias: true })).toMatch(/ADAPTER_UNSUPPORTED: .*lora_bias/);
    expect(read({ trainable_token_indices: [3, 4] })).toMatch(
      /ADAPTER_UNSUPPORTED: .*trainable_token_indices/,
    );
    expect(read({ init_lora_weights: 'pissa_niter_4' })).toMatch(/ADAPTER_UNSUPPORTED: .*pissa_niter_4/);
    expect(read({ loftq_config: { loftq_bits: 4 } })).toMatch(/ADAPTER_UNSUPPORTED: .*LoftQ/);
    expect(read({ lora_alpha: 1e40 })).toMatch(/ADAPTER_CONFIG_INVALID: .*float32/);
    expect(read({ lora_alpha: 8, alpha_pattern: { q_proj: 1e40 } })).toMatch(
      /ADAPTER_CONFIG_INVALID: .*adapter_config.json: alpha_pattern's alpha 1e\+40 for .*q_proj scales its product past float32/,
    );
    expect(read({ task_type: 'SEQ_CLS' })).toMatch(/ADAPTER_UNSUPPORTED: .*task_type is SEQ_CLS/);
    // PEFT's defaults for these fields are no change
    for (const agrees of [
      { layer_replication: null, lora_bias: false, loftq_config: {}, trainable_token_indices: null },
      { init_lora_weights: 'gaussian', task_type: 'CAUSAL_LM' },
      { init_lora_weights: true, task_type: null },
    ])
      expect(read(agrees)).toBe('loaded');
  });

  it('refuses a config that would not adapt the modules its tensors adapt, as PEFT matches them', () => {
    const config = { peft_type: 'LORA', r: 4, lora_alpha: 8 };
    const read = (more: object) => codeOf(() => readLoraFolder(folderWith(pair(1), { ...config, ...more })));
    expect(read({ target_modules: ['foo_proj'] })).toMatch(/ADAPTER_CONFIG_INVALID: .*q_proj.*does not name/);
    expect(read({ target_modules: [] })).toMatch(/ADAPTER_CONFIG_INVALID/);
    expect(read({ target_modules: '.*v_proj' })).toMatch(/ADAPTER_CONFIG_INVALID: .*does not match/);
    expect(read({ layers_to_transform: [0] })).toMatch(/ADAPTER_CONFIG_INVALID: .*layer 1.*leaves out/);
    expect(read({ layers_to_transform: 0 })).toMatch(/ADAPTER_CONFIG_INVALID/);
    expect(read({ exclude_modules: ['q_proj'] })).toMatch(
      /ADAPTER_CONFIG_INVALID: .*exclude_modules.*leaves out/,
    );
    expect(read({ exclude_modules: 'model\\.layers\\.1\\..*' })).toMatch(/ADAPTER_CONFIG_INVALID: .*exclude/);
    for (const agrees of [
      { target_modules: ['q_proj', 'v_proj'], layers_to_transform: [1, 3] },
      { target_modules: ['self_attn.q_proj'] },
      { target_modules: '.*(q|v)_proj' },
      { target_modules: 'all-linear' },
      { target_modules: null, layers_to_transform: null },
      { exclude_modules: ['v_proj', 'layers.2.self_attn.q_proj'], target_modules: ['q_proj'] },
      { exclude_modules: '.*\\.0\\..*' },
      { exclude_modules: [] },
      { exclude_modules: '' },
      { exclude_modules: null },
    ])
      expect(read(agrees)).toBe('loaded');
  });
});
