// Bad model files, one table per reader: each case copies a good stories260K file (GGUF, Hugging Face
// directory, llama2.c), damages it the way a disk, a download or a bad converter would, and expects a
// coded refusal naming the file and the field, with nothing changed on disk. A few good-but-unusual
// files (64-bit GGUF integers, a sharded index) still load.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel, openSafetensors, type LoadedModel } from '../src/engine/index.js';
import { loadGguf, readGgufHeader, tokenizerMetadata, type GgufValue } from '../src/engine/weights/gguf.js';
import { GgufType, writeGguf } from '../src/engine/weights/gguf-writer.js';
import {
  addSafetensorsTensor,
  editJson,
  editSafetensorsHeader,
  expectRefusal,
  folderWith,
  patchFloat,
  patchSafetensorsFloat,
  safetensorsHeader,
  truncateFile,
  type Refusal,
} from './readers-helpers.js';
import { stories } from './models.js';

const huggingFaceFiles = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'].map(
  (file) => join(stories.huggingFace, file),
);

let good: LoadedModel;
let vocabulary: Record<string, GgufValue>;
beforeAll(async () => {
  good = await loadModel(stories.gguf);
  vocabulary = tokenizerMetadata((await loadGguf(stories.gguf)).typedMetadata);
}, 120_000); // loading models can outlast the 10 s hook default on a busy machine

/** A GGUF of the good model with some metadata replaced. */
function ggufWith(folder: string, metadata: Record<string, GgufValue>): void {
  writeGguf(join(folder, 'model.gguf'), good.model.config, good.model.weights, {
    metadata: { ...vocabulary, ...metadata },
  });
}

const string = (value: string) => ({ type: GgufType.STRING, value });
const uint32 = (value: number) => ({ type: GgufType.UINT32, value });

describe('GGUF files', () => {
  const model = (folder: string) => join(folder, 'model.gguf');
  it.each<[string, (folder: string) => void | Promise<void>, Refusal]>([
    [
      'llama.block_count is a string',
      (folder) => ggufWith(folder, { 'llama.block_count': string('five') }),
      { code: 'WEIGHT_BAD_METADATA', mentions: ['field llama.block_count', 'received string'] },
    ],
    [
      'llama.rope.freq_base is a string',
      (folder) => ggufWith(folder, { 'llama.rope.freq_base': string('10000') }),
      { code: 'WEIGHT_BAD_METADATA', mentions: ['field llama.rope.freq_base'] },
    ],
    [
      'llama.attention.head_count is 0',
      (folder) => ggufWith(folder, { 'llama.attention.head_count': uint32(0) }),
      { code: 'CONFIG_INVALID', mentions: ['heads is 0'] },
    ],
    [
      'general.architecture is a number',
      (folder) => ggufWith(folder, { 'general.architecture': uint32(7) }),
      { code: 'WEIGHT_UNSUPPORTED_ARCHITECTURE', mentions: ['architecture "7"'] },
    ],
    [
      'llama.block_count says fewer layers than the tensors hold',
      (folder) => ggufWith(folder, { 'llama.block_count': uint32(4) }),
      {
        code: 'WEIGHT_UNEXPECTED_TENSOR',
        mentions: ['tensor blk.4.', 'the config says the model has 4 layers'],
      },
    ],
    [
      'a RoPE scaling the engine does not run',
      (folder) => ggufWith(folder, { 'llama.rope.scaling.type': string('yarn') }),
      { code: 'WEIGHT_UNSUPPORTED_ARCHITECTURE', mentions: ['RoPE scaling "yarn" is not supported'] },
    ],
    [
      'the BOS token is past the vocabulary',
      (folder) => ggufWith(folder, { 'tokenizer.ggml.bos_token_id': uint32(99999) }),
      { code: 'CONFIG_INVALID', mentions: ['special token id 99999'] },
    ],
    [
      'general.alignment is not a power of two',
      (folder) => {
        ggufWith(folder, {});
        // the written 32 (a UINT32 after the key's name and its type) made 48
        const bytes = readFileSync(model(folder));
        const at = bytes.indexOf('general.alignment') + 'general.alignment'.length + 4;
        bytes.writeUInt32LE(48, at);
        writeFileSync(model(folder), bytes);
      },
      { code: 'WEIGHT_BAD_HEADER', mentions: ['general.alignment is 48, expected a power of two'] },
    ],
    [
      // not a cut file: a header this reader does not know (it had been called truncated)
      'a GGUF version this reader does not know',
      (folder) => {
        ggufWith(folder, {});
        const bytes = readFileSync(model(folder));
        bytes.writeUInt32LE(99, 4);
        writeFileSync(model(folder), bytes);
      },
      { code: 'WEIGHT_BAD_HEADER', mentions: ['unsupported version "99"'] },
    ],
    [
      'a tensor is listed twice',
      (folder) => {
        ggufWith(folder, {});
        // the key tensor's name made the query's (the same length): two entries of one name
        const bytes = readFileSync(model(folder));
        bytes.write('blk.0.attn_q.weight', bytes.indexOf('blk.0.attn_k.weight'), 'latin1');
        writeFileSync(model(folder), bytes);
      },
      { code: 'WEIGHT_BAD_HEADER', mentions: ['tensor blk.0.attn_q.weight is listed twice'] },
    ],
    [
      'a tensor starts off the alignment',
      (folder) => {
        ggufWith(folder, {});
        // after the name: its dimension count (u32), its dimensions (u64 each), its type (u32), its offset (u64)
        const bytes = readFileSync(model(folder));
        const name = 'blk.0.attn_q.weight';
        const at = bytes.indexOf(name) + name.length;
        const offset = at + 4 + 8 * bytes.readUInt32LE(at) + 4;
        bytes.writeBigUInt64LE(bytes.readBigUInt64LE(offset) + 4n, offset);
        writeFileSync(model(folder), bytes);
      },
      {
        code: 'WEIGHT_BAD_HEADER',
        mentions: ['tensor blk.0.attn_q.weight starts at', 'not a multiple of the alignment 32'],
      },
    ],
    [
      'tokenizer.ggml.tokens holds numbers',
      (folder) =>
        ggufWith(folder, {
          'tokenizer.ggml.tokens': {
            type: GgufType.ARRAY,
            subType: GgufType.UINT32,
            value: Array.from({ length: 512 }, (_, i) => i),
          },
        }),
      { code: 'TOKENIZER_CORRUPT', mentions: ['field tokenizer.ggml.tokens.0', 'expected string'] },
    ],
    [
      'tokenizer.ggml.scores is shorter than the vocabulary',
      (folder) =>
        ggufWith(folder, {
          'tokenizer.ggml.scores': { type: GgufType.ARRAY, subType: GgufType.FLOAT32, value: [0, 1, 2] },
        }),
      {
        code: 'TOKENIZER_CORRUPT',
        mentions: ['tokenizer.ggml.scores has 3 entries, tokenizer.ggml.tokens 512'],
      },
    ],
    [
      'tokenizer.ggml.add_bos_token is a string',
      (folder) => ggufWith(folder, { 'tokenizer.ggml.add_bos_token': string('yes') }),
      { code: 'TOKENIZER_CORRUPT', mentions: ['field tokenizer.ggml.add_bos_token'] },
    ],
    [
      'token_embd.weight holds NaN',
      async (folder) => {
        ggufWith(folder, {});
        const { tensors, reader } = await readGgufHeader(model(folder));
        reader.close();
        patchFloat(model(folder), tensors.get('token_embd.weight')!.offset, 130, NaN);
      },
      {
        code: 'WEIGHT_NOT_FINITE',
        mentions: ['tensor token_embd.weight holds NaN at index 130 (row 2, column 2)'],
      },
    ],
    [
      'an attention matrix holds NaN',
      async (folder) => {
        ggufWith(folder, {});
        const { tensors, reader } = await readGgufHeader(model(folder));
        reader.close();
        patchFloat(model(folder), tensors.get('blk.2.attn_q.weight')!.offset, 65, NaN);
      },
      {
        code: 'WEIGHT_NOT_FINITE',
        mentions: ['tensor blk.2.attn_q.weight holds NaN at index 65 (row 1, column 1)'],
      },
    ],
    [
      'the file is cut inside its header',
      (folder) => {
        ggufWith(folder, {});
        truncateFile(model(folder), 0.01);
      },
      { code: 'WEIGHT_TRUNCATED', mentions: [] },
    ],
  ])('%s', async (_case, damage, refusal) => {
    const folder = folderWith('gguf', []);
    await damage(folder);
    refusal.mentions.push(model(folder));
    await expectRefusal(folder, () => loadModel(model(folder)), refusal);
  });

  it('64-bit integers (as some converters write them) are read as numbers', async () => {
    const folder = folderWith('gguf', []);
    ggufWith(folder, { 'llama.context_length': { type: GgufType.UINT64, value: 2048n } });
    const { model: loaded } = await loadModel(model(folder));
    expect(loaded.config.contextLength).toBe(2048);
  });
});

describe('Hugging Face directories', () => {
  const file = (folder: string, name: string) => join(folder, name);
  const weights = (folder: string) => file(folder, 'model.safetensors');
  it.each<[string, (folder: string) => void, string, Refusal]>([
    // config.json
    [
      'config.json is cut short',
      (f) => truncateFile(file(f, 'config.json')),
      'config.json',
      { code: 'WEIGHT_BAD_CONFIG', mentions: ['is not valid JSON'] },
    ],
    [
      'hidden_size is a string',
      (f) => editJson(file(f, 'config.json'), (c) => ({ ...c, hidden_size: '64' })),
      'config.json',
      { code: 'WEIGHT_BAD_CONFIG', mentions: ['field hidden_size', 'received string'] },
    ],
    [
      'num_attention_heads is 0',
      (f) => editJson(file(f, 'config.json'), (c) => ({ ...c, num_attention_heads: 0 })),
      'config.json',
      { code: 'WEIGHT_BAD_CONFIG', mentions: ['field num_attention_heads'] },
    ],
    [
      'rms_norm_eps is negative',
      (f) => editJson(file(f, 'config.json'), (c) => ({ ...c, rms_norm_eps: -1 })),
      'config.json',
      { code: 'WEIGHT_BAD_CONFIG', mentions: ['field rms_norm_eps'] },
    ],
    [
      'eos_token_id is a string',
      (f) => editJson(file(f, 'config.json'), (c) => ({ ...c, eos_token_id: '2' })),
      'config.json',
      { code: 'WEIGHT_BAD_CONFIG', mentions: ['field eos_token_id'] },
    ],
    [
      'llama3 RoPE scaling without its factor',
      (f) =>
        editJson(file(f, 'config.json'), (c) => ({
          ...c,
          rope_parameters: { rope_type: 'llama3', rope_theta: 10000 },
        })),
      'config.json',
      { code: 'WEIGHT_BAD_CONFIG', mentions: ['llama3 RoPE scaling needs factor'] },
    ],
    [
      'head_dim is odd',
      (f) => editJson(file(f, 'config.json'), (c) => ({ ...c, head_dim: 7 })),
      'config.json',
      { code: 'CONFIG_INVALID', mentions: ['head dimension 7 is odd'] },
    ],
    // what the engine would otherwise run wrongly, and silently
    [
      'the config says fewer layers than the weights hold',
      (f) => editJson(file(f, 'config.json'), (c) => ({ ...c, num_hidden_layers: 4 })),
      'model.safetensors',
      {
        code: 'WEIGHT_UNEXPECTED_TENSOR',
        mentions: ['tensor model.layers.4.', 'is of layer 4, and the config says the model has 4 layers'],
      },
    ],
    [
      'the MLP holds biases the config does not name',
      (f) =>
        addSafetensorsTensor(weights(f), 'model.layers.0.mlp.up_proj.bias', {
          shape: [172],
          data: new Float32Array(172).fill(0.5),
        }),
      'model.safetensors',
      {
        code: 'WEIGHT_UNSUPPORTED_ARCHITECTURE',
        mentions: ['tensor model.layers.0.mlp.up_proj.bias is a bias promptune does not apply'],
      },
    ],
    [
      'mlp_bias is set',
      (f) => editJson(file(f, 'config.json'), (c) => ({ ...c, mlp_bias: true })),
      'config.json',
      { code: 'WEIGHT_UNSUPPORTED_ARCHITECTURE', mentions: ['mlp_bias is set'] },
    ],
    [
      'hidden_act is gelu',
      (f) => editJson(file(f, 'config.json'), (c) => ({ ...c, hidden_act: 'gelu' })),
      'config.json',
      { code: 'WEIGHT_UNSUPPORTED_ARCHITECTURE', mentions: ['hidden_act "gelu" is not supported'] },
    ],
    [
      'bos_token_id is past the vocabulary',
      (f) => editJson(file(f, 'config.json'), (c) => ({ ...c, bos_token_id: 99999 })),
      'config.json',
      { code: 'CONFIG_INVALID', mentions: ['special token id 99999 is past the vocabulary of 512'] },
    ],
    [
      'config.json is an array',
      (f) => editJson(file(f, 'config.json'), () => '[1, 2]'),
      'config.json',
      { code: 'WEIGHT_BAD_CONFIG', mentions: ['expected record'] },
    ],
    // the shard index
    [
      'a shard outside the directory',
      (f) => {
        rmSync(weights(f));
        writeFileSync(
          file(f, 'model.safetensors.index.json'),
          JSON.stringify({ weight_map: { 'model.norm.weight': '../../elsewhere.safetensors' } }),
        );
      },
      'model.safetensors.index.json',
      {
        code: 'WEIGHT_BAD_CONFIG',
        mentions: ['field weight_map.model.norm.weight', 'inside the model directory'],
      },
    ],
    [
      'an index without weight_map',
      (f) => {
        rmSync(weights(f));
        writeFileSync(file(f, 'model.safetensors.index.json'), '{"metadata": {}}');
      },
      'model.safetensors.index.json',
      { code: 'WEIGHT_BAD_CONFIG', mentions: ['field weight_map'] },
    ],
    // model.safetensors
    [
      'a dtype that is a number',
      (f) =>
        editSafetensorsHeader(weights(f), (h) => ({
          ...h,
          'model.norm.weight': { ...h['model.norm.weight'], dtype: 32 },
        })),
      'model.safetensors',
      { code: 'WEIGHT_BAD_HEADER', mentions: ['field model.norm.weight.dtype'] },
    ],
    [
      'a dtype that is not a safetensors dtype',
      (f) =>
        editSafetensorsHeader(weights(f), (h) => ({
          ...h,
          'model.norm.weight': { ...h['model.norm.weight'], dtype: 'F33' },
        })),
      'model.safetensors',
      {
        code: 'WEIGHT_BAD_HEADER',
        mentions: ['tensor model.norm.weight: dtype "F33" is not a safetensors dtype'],
      },
    ],
    [
      'a dtype whose size disagrees with the byte range',
      (f) =>
        editSafetensorsHeader(weights(f), (h) => ({
          ...h,
          'model.norm.weight': { ...h['model.norm.weight'], dtype: 'F64' },
        })),
      'model.safetensors',
      { code: 'WEIGHT_BAD_HEADER', mentions: ['tensor model.norm.weight: data_offsets', 'needs 512'] },
    ],
    [
      'a shape with a string in it',
      (f) =>
        editSafetensorsHeader(weights(f), (h) => ({
          ...h,
          'model.norm.weight': { ...h['model.norm.weight'], shape: ['64'] },
        })),
      'model.safetensors',
      { code: 'WEIGHT_BAD_HEADER', mentions: ['field model.norm.weight.shape.0'] },
    ],
    [
      'a negative data offset',
      (f) =>
        editSafetensorsHeader(weights(f), (h) => ({
          ...h,
          'model.norm.weight': { ...h['model.norm.weight'], data_offsets: [-4, 252] },
        })),
      'model.safetensors',
      { code: 'WEIGHT_BAD_HEADER', mentions: ['field model.norm.weight.data_offsets.0'] },
    ],
    [
      'a byte range past the end of the file',
      (f) =>
        editSafetensorsHeader(weights(f), (h) => ({
          ...h,
          'model.norm.weight': { ...h['model.norm.weight'], data_offsets: [1e9, 1e9 + 256] },
        })),
      'model.safetensors',
      { code: 'WEIGHT_TRUNCATED', mentions: ['tensor model.norm.weight ends at byte'] },
    ],
    [
      'two tensors sharing bytes',
      (f) =>
        editSafetensorsHeader(weights(f), (h) => ({
          ...h,
          'model.norm.weight': {
            ...h['model.norm.weight'],
            data_offsets: h['model.layers.0.input_layernorm.weight'].data_offsets,
          },
        })),
      'model.safetensors',
      { code: 'WEIGHT_BAD_HEADER', mentions: ['overlap'] },
    ],
    [
      'bytes after the last tensor',
      (f) => writeFileSync(weights(f), Buffer.concat([readFileSync(weights(f)), Buffer.alloc(4)])),
      'model.safetensors',
      { code: 'WEIGHT_BAD_HEADER', mentions: ["4 bytes after the last tensor's data"] },
    ],
    [
      'bytes between two tensors',
      (f) => {
        const { header } = safetensorsHeader(weights(f));
        const [last] = Object.entries(header)
          .filter(([name]) => name !== '__metadata__')
          .sort(([, a], [, b]) => b.data_offsets[1] - a.data_offsets[1]);
        editSafetensorsHeader(weights(f), (h) => ({
          ...h,
          [last[0]]: { ...last[1], data_offsets: last[1].data_offsets.map((offset) => offset + 4) },
        }));
        writeFileSync(weights(f), Buffer.concat([readFileSync(weights(f)), Buffer.alloc(4)]));
      },
      'model.safetensors',
      { code: 'WEIGHT_BAD_HEADER', mentions: ['4 bytes before tensor', 'belong to no tensor'] },
    ],
    [
      '__metadata__ with a number',
      (f) => editSafetensorsHeader(weights(f), (h) => ({ ...h, __metadata__: { format: 1 } }) as never),
      'model.safetensors',
      { code: 'WEIGHT_BAD_HEADER', mentions: ['field __metadata__.format'] },
    ],
    [
      'a header that is not JSON',
      (f) => editSafetensorsHeader(weights(f), (h) => Buffer.from(JSON.stringify(h).slice(1))),
      'model.safetensors',
      { code: 'WEIGHT_BAD_HEADER', mentions: ['is not valid JSON'] },
    ],
    [
      'a header that is not UTF-8',
      (f) =>
        editSafetensorsHeader(weights(f), (h) =>
          Buffer.concat([Buffer.from(JSON.stringify(h).slice(0, -1)), Buffer.from(', "\xff": 1}', 'latin1')]),
        ),
      'model.safetensors',
      { code: 'WEIGHT_BAD_HEADER', mentions: ['is not valid UTF-8'] },
    ],
    [
      'the embedding holds NaN',
      (f) => patchSafetensorsFloat(weights(f), 'model.embed_tokens.weight', 64 * 5 + 3, NaN),
      'model.safetensors',
      {
        code: 'WEIGHT_NOT_FINITE',
        mentions: ['tensor model.embed_tokens.weight holds NaN at index 323 (row 5, column 3)'],
      },
    ],
    [
      'the final norm holds Infinity',
      (f) => patchSafetensorsFloat(weights(f), 'model.norm.weight', 0, Infinity),
      'model.safetensors',
      { code: 'WEIGHT_NOT_FINITE', mentions: ['tensor model.norm.weight holds Infinity at index 0'] },
    ],
    [
      'model.safetensors is a folder',
      (f) => {
        rmSync(weights(f));
        mkdirSync(weights(f));
      },
      'model.safetensors',
      { code: 'PATH_IS_A_FOLDER', mentions: ['model.safetensors is a folder, where a file was expected'] },
    ],
    [
      // a matrix of a layer too: one such value made every answer empty
      'an MLP matrix holds Infinity',
      (f) => patchSafetensorsFloat(weights(f), 'model.layers.2.mlp.up_proj.weight', 0, Infinity),
      'model.safetensors',
      {
        code: 'WEIGHT_NOT_FINITE',
        mentions: ['tensor model.layers.2.mlp.up_proj.weight holds Infinity at index 0 (row 0, column 0)'],
      },
    ],
    [
      'the file is cut in the middle',
      (f) => truncateFile(weights(f)),
      'model.safetensors',
      { code: 'WEIGHT_TRUNCATED', mentions: [] },
    ],
    // tokenizer files
    [
      'tokenizer.json is cut short',
      (f) => truncateFile(file(f, 'tokenizer.json')),
      'tokenizer.json',
      { code: 'TOKENIZER_CORRUPT', mentions: ['is not valid JSON'] },
    ],
    [
      'model.vocab is a string',
      (f) =>
        editJson(file(f, 'tokenizer.json'), (t) => ({
          ...t,
          model: { ...(t.model as object), vocab: 'none' },
        })),
      'tokenizer.json',
      { code: 'TOKENIZER_CORRUPT', mentions: ['field model.vocab'] },
    ],
    [
      'an added token id is a string',
      (f) =>
        editJson(file(f, 'tokenizer.json'), (t) => ({
          ...t,
          added_tokens: [{ id: '0', content: '<unk>', special: true }],
        })),
      'tokenizer.json',
      { code: 'TOKENIZER_CORRUPT', mentions: ['field added_tokens.0.id'] },
    ],
    [
      'tokenizer.json without a model',
      (f) => editJson(file(f, 'tokenizer.json'), ({ model: _model, ...rest }) => rest),
      'tokenizer.json',
      { code: 'TOKENIZER_CORRUPT', mentions: ['field model'] },
    ],
    [
      'add_bos_token is a string',
      (f) => editJson(file(f, 'tokenizer_config.json'), (c) => ({ ...c, add_bos_token: 'yes' })),
      'tokenizer_config.json',
      { code: 'TOKENIZER_CORRUPT', mentions: ['field add_bos_token'] },
    ],
    [
      'eos_token is a number',
      (f) => editJson(file(f, 'tokenizer_config.json'), (c) => ({ ...c, eos_token: 2 })),
      'tokenizer_config.json',
      { code: 'TOKENIZER_CORRUPT', mentions: ['field eos_token'] },
    ],
  ])('%s', async (_case, damage, damaged, refusal) => {
    const folder = folderWith('hf', huggingFaceFiles);
    damage(folder);
    refusal.mentions.push(file(folder, damaged));
    await expectRefusal(folder, () => loadModel(folder), refusal);
  });

  it('a sharded checkpoint whose index names its shards plainly still loads', async () => {
    const folder = folderWith('hf', huggingFaceFiles);
    const shard = file(folder, 'model-00001-of-00001.safetensors');
    renameSync(weights(folder), shard);
    const source = openSafetensors([shard]);
    const weightMap = Object.fromEntries(
      source.names().map((name) => [name, 'model-00001-of-00001.safetensors']),
    );
    source.close();
    writeFileSync(
      file(folder, 'model.safetensors.index.json'),
      JSON.stringify({ metadata: {}, weight_map: weightMap }),
    );
    expect((await loadModel(folder)).model.config.hiddenSize).toBe(64);
  });
});

describe('llama.c checkpoints and tokenizers', () => {
  const checkpoint = (folder: string) => join(folder, 'stories260K.bin');
  const tokenizer = (folder: string) => join(folder, 'tok512.bin');
  it.each<[string, (folder: string) => void, (folder: string) => string, Refusal]>([
    [
      'the embedding holds NaN',
      (f) => patchFloat(checkpoint(f), 28, 70, NaN),
      checkpoint,
      { code: 'WEIGHT_NOT_FINITE', mentions: ['tensor embedding holds NaN at index 70 (row 1, column 6)'] },
    ],
    [
      'a tokenizer score is NaN',
      (f) => patchFloat(tokenizer(f), 4, 0, NaN),
      tokenizer,
      { code: 'TOKENIZER_CORRUPT', mentions: ['piece 0 has the score NaN'] },
    ],
    [
      'the tokenizer is cut short',
      (f) => truncateFile(tokenizer(f)),
      tokenizer,
      { code: 'TOKENIZER_CORRUPT', mentions: ['ends after'] },
    ],
  ])('%s', async (_case, damage, damaged, refusal) => {
    const folder = folderWith('llama2c', [stories.llama2c, stories.tokenizer512]);
    damage(folder);
    refusal.mentions.push(damaged(folder));
    await expectRefusal(folder, () => loadModel(checkpoint(folder)), refusal);
  });
});
