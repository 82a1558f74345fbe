// Bad soft-prompt and task files, one table per reader: adapter_config.json, promptune.json and the
// adapter's tensor file (ours and PEFT's), the trainer's checkpoint (checkpoint.json and its binary file,
// and one written inline as before), JSONL and CSV datasets, and
// task specs. Each case copies a good file, damages it, and expects a coded refusal naming the file and
// the field or line, with nothing changed on disk (a failed resume does not rewrite metrics.jsonl).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel, seededRandom, type LoadedModel } from '../src/engine/index.js';
import {
  initSoftPrompt,
  loadAdapter,
  saveAdapter,
  tokenizeExample,
  trainSoftPrompt,
  type SoftPrompt,
  type TokenizedExample,
  type TrainOptions,
} from '../src/soft/index.js';
import { readExamples } from '../src/tasks/dataset.js';
import { loadTask } from '../src/tasks/load-task.js';
import {
  addSafetensorsTensor,
  editJson,
  editSafetensorsHeader,
  expectRefusal,
  folderWith,
  patchSafetensorsFloat,
  truncateFile,
  type Refusal,
} from './readers-helpers.js';
import {
  binaryPath,
  readArrays,
  readSaved,
  rewriteInline,
  writeArrays,
  type CheckpointArrays,
} from './checkpoint-files.js';
import { sharedModels, stories } from './models.js';

const peftAdapter = join(stories.huggingFace, 'peft-prompt-tuning-example');
const adapterFiles = ['adapter_config.json', 'promptune.json', 'adapter_model.safetensors'];

let gguf: LoadedModel;
let huggingFace: LoadedModel;
let ours: string; // a good adapter folder for stories260K
let initial: SoftPrompt;
let train: TokenizedExample[];
let trained: string; // a folder with the checkpoint.json and metrics.jsonl of a finished run
const trainOptions: TrainOptions = { steps: 2, batchSize: 4, evalEvery: 1, seed: 0 };

beforeAll(async () => {
  gguf = await loadModel(stories.gguf);
  huggingFace = await loadModel(stories.huggingFace);
  initial = initSoftPrompt(gguf.model, gguf.tokenizer, 4, { kind: 'sample-vocab' }, seededRandom(0));
  ours = folderWith('adapter', []);
  saveAdapter(ours, initial, gguf.model, { baseModelName: 'stories260K', metrics: { devExactMatch: 0.5 } });
  train = readExamples(join(sharedModels, '..', 'datasets', 'name', 'train.jsonl'), {
    inputFields: ['input'],
    targetField: 'target',
  })
    .slice(0, 8)
    .map((row) => tokenizeExample(gguf.tokenizer, String(row.fields.input), String(row.target), 'train'));
  trained = folderWith('trained', []);
  trainSoftPrompt(gguf.model, initial, train, train.slice(0, 2), { ...trainOptions, directory: trained });
}, 120_000); // two models and a two-step training run can outlast the 10 s hook default on a busy machine

describe('adapters', () => {
  const at = (folder: string, name: string) => join(folder, name);
  it.each<[string, 'ours' | 'peft', (folder: string) => void, string, Refusal]>([
    // adapter_config.json
    [
      'adapter_config.json is cut short',
      'ours',
      (f) => truncateFile(at(f, 'adapter_config.json')),
      'adapter_config.json',
      { code: 'ADAPTER_CONFIG_INVALID', mentions: ['adapter config', 'is not valid JSON'] },
    ],
    [
      'num_virtual_tokens is a string',
      'ours',
      (f) => editJson(at(f, 'adapter_config.json'), (c) => ({ ...c, num_virtual_tokens: '4' })),
      'adapter_config.json',
      {
        code: 'ADAPTER_CONFIG_INVALID',
        mentions: ['field num_virtual_tokens: Invalid input: expected number, received string'],
      },
    ],
    [
      'num_virtual_tokens is missing',
      'peft',
      (f) => editJson(at(f, 'adapter_config.json'), ({ num_virtual_tokens: _n, ...rest }) => rest),
      'adapter_config.json',
      { code: 'ADAPTER_CONFIG_INVALID', mentions: ['field num_virtual_tokens'] },
    ],
    [
      'token_dim is a string',
      'peft',
      (f) => editJson(at(f, 'adapter_config.json'), (c) => ({ ...c, token_dim: '64' })),
      'adapter_config.json',
      { code: 'ADAPTER_CONFIG_INVALID', mentions: ['field token_dim'] },
    ],
    [
      'peft_type is a number',
      'ours',
      (f) => editJson(at(f, 'adapter_config.json'), (c) => ({ ...c, peft_type: 3 })),
      'adapter_config.json',
      { code: 'ADAPTER_CONFIG_INVALID', mentions: ['field peft_type'] },
    ],
    [
      'the config is an array',
      'ours',
      (f) => editJson(at(f, 'adapter_config.json'), () => '[]'),
      'adapter_config.json',
      { code: 'ADAPTER_CONFIG_INVALID', mentions: ['expected object'] },
    ],
    [
      'the config nests 200 levels deep',
      'ours',
      (f) =>
        editJson(at(f, 'adapter_config.json'), (c) =>
          JSON.stringify({ ...c, extra: 0 }).replace('0}', `${'['.repeat(200)}${']'.repeat(200)}}`),
        ),
      'adapter_config.json',
      { code: 'ADAPTER_CONFIG_INVALID', mentions: ['nests more than 128 levels'] },
    ],
    [
      'a LoRA adapter',
      'peft',
      (f) => editJson(at(f, 'adapter_config.json'), () => ({ peft_type: 'LORA', r: 8 })),
      'adapter_config.json',
      { code: 'ADAPTER_UNSUPPORTED', mentions: ['peft_type is LORA'] },
    ],
    [
      'an encoder-decoder adapter',
      'peft',
      (f) => editJson(at(f, 'adapter_config.json'), (c) => ({ ...c, num_transformer_submodules: 2 })),
      'adapter_config.json',
      { code: 'ADAPTER_UNSUPPORTED', mentions: ['num_transformer_submodules is 2'] },
    ],
    [
      // PEFT saves a prompt as this one tensor: a second one had been ignored in silence
      'a tensor beside the prompt',
      'peft',
      (f) =>
        addSafetensorsTensor(at(f, 'adapter_model.safetensors'), 'prompt_encoder.mlp.weight', {
          shape: [2, 2],
          data: new Float32Array(4),
        }),
      'adapter_model.safetensors',
      { code: 'ADAPTER_CORRUPT', mentions: ['holds prompt_encoder.mlp.weight beside prompt_embeddings'] },
    ],
    [
      'token_dim disagrees with the tensor',
      'peft',
      (f) => editJson(at(f, 'adapter_config.json'), (c) => ({ ...c, token_dim: 32 })),
      'adapter_model.safetensors',
      { code: 'ADAPTER_CORRUPT', mentions: ['token_dim 32'] },
    ],
    [
      'num_virtual_tokens disagrees with the tensor',
      'ours',
      (f) => editJson(at(f, 'adapter_config.json'), (c) => ({ ...c, num_virtual_tokens: 8 })),
      'adapter_model.safetensors',
      { code: 'ADAPTER_CORRUPT', mentions: ['[4,64]', '8 virtual tokens'] },
    ],
    // promptune.json
    [
      'promptune.json is cut short',
      'ours',
      (f) => truncateFile(at(f, 'promptune.json')),
      'promptune.json',
      { code: 'ADAPTER_METADATA_INVALID', mentions: ['adapter metadata', 'is not valid JSON'] },
    ],
    [
      'an unknown layout',
      'ours',
      (f) => editJson(at(f, 'promptune.json'), (m) => ({ ...m, layout: 'sideways' })),
      'promptune.json',
      { code: 'ADAPTER_METADATA_INVALID', mentions: ['field layout'] },
    ],
    [
      'a base-model hash that is not hex',
      'ours',
      (f) => editJson(at(f, 'promptune.json'), (m) => ({ ...m, baseModel: { name: 'x', sha256: 'abc' } })),
      'promptune.json',
      { code: 'ADAPTER_METADATA_INVALID', mentions: ['field baseModel.sha256: expected a sha256 in hex'] },
    ],
    [
      'a metric that is a string',
      'ours',
      (f) => editJson(at(f, 'promptune.json'), (m) => ({ ...m, metrics: { devExactMatch: 'high' } })),
      'promptune.json',
      { code: 'ADAPTER_METADATA_INVALID', mentions: ['field metrics.devExactMatch'] },
    ],
    [
      'another format',
      'ours',
      (f) => editJson(at(f, 'promptune.json'), (m) => ({ ...m, format: 'something-else' })),
      'promptune.json',
      { code: 'ADAPTER_METADATA_INVALID', mentions: ['field format'] },
    ],
    // adapter_model.safetensors
    [
      'a NaN in our prompt',
      'ours',
      (f) => patchSafetensorsFloat(at(f, 'adapter_model.safetensors'), 'prompt_embeddings', 37, NaN),
      'adapter_model.safetensors',
      {
        code: 'SOFT_PROMPT_NOT_FINITE',
        mentions: ['tensor prompt_embeddings: value 37 (virtual token 0, dimension 37) is NaN'],
      },
    ],
    [
      'an Infinity in PEFT’s prompt',
      'peft',
      (f) =>
        patchSafetensorsFloat(at(f, 'adapter_model.safetensors'), 'prompt_embeddings', 64 * 15, -Infinity),
      'adapter_model.safetensors',
      {
        code: 'SOFT_PROMPT_NOT_FINITE',
        mentions: ['value 960 (virtual token 15, dimension 0) is -Infinity'],
      },
    ],
    [
      'a dtype that is a number',
      'ours',
      (f) =>
        editSafetensorsHeader(at(f, 'adapter_model.safetensors'), (h) => ({
          ...h,
          prompt_embeddings: { ...h.prompt_embeddings, dtype: 0 },
        })),
      'adapter_model.safetensors',
      { code: 'WEIGHT_BAD_HEADER', mentions: ['field prompt_embeddings.dtype'] },
    ],
    [
      'a shape that disagrees with the bytes',
      'ours',
      (f) =>
        editSafetensorsHeader(at(f, 'adapter_model.safetensors'), (h) => ({
          ...h,
          prompt_embeddings: { ...h.prompt_embeddings, shape: [8, 64] },
        })),
      'adapter_model.safetensors',
      { code: 'WEIGHT_BAD_HEADER', mentions: ['shape [8,64] of F32 needs 2048'] },
    ],
    [
      'the tensor file is cut short',
      'ours',
      (f) => truncateFile(at(f, 'adapter_model.safetensors'), 0.9),
      'adapter_model.safetensors',
      { code: 'WEIGHT_TRUNCATED', mentions: [] },
    ],
  ])('%s (%s)', async (_case, which, damage, damaged, refusal) => {
    const source = which === 'ours' ? ours : peftAdapter;
    const folder = folderWith(
      'adapter',
      (which === 'ours' ? adapterFiles : adapterFiles.filter((file) => file !== 'promptune.json')).map(
        (file) => join(source, file),
      ),
    );
    damage(folder);
    refusal.mentions.push(at(folder, damaged));
    const model = which === 'ours' ? gguf.model : huggingFace.model;
    await expectRefusal(folder, () => loadAdapter(folder, model), refusal);
  });
});

describe('trainer checkpoints', () => {
  const checkpoint = (folder: string) => join(folder, 'checkpoint.json');
  /** Changes the binary file's arrays, its SHA-256 kept true: what a faulty writer would leave. */
  const patch = (folder: string, change: (arrays: CheckpointArrays) => void) => {
    const arrays = readArrays(folder);
    change(arrays);
    writeArrays(folder, arrays);
  };
  type Inline = { values: (number | null)[]; best: { values: (number | null)[] } };
  /** Rewrites the checkpoint as an older promptune wrote it (every number inline), then changes it. */
  const inline = (folder: string, change: (saved: Inline) => void) => {
    rewriteInline(folder);
    editJson(checkpoint(folder), (value) => {
      change(value as unknown as Inline);
      return value;
    });
  };
  it.each<[string, (folder: string) => void, Refusal]>([
    [
      'it is cut short',
      (f) => truncateFile(checkpoint(f)),
      { code: 'TRAIN_CHECKPOINT_INVALID', mentions: ['checkpoint', 'is not valid JSON'] },
    ],
    [
      'its binary file is cut short',
      (f) => truncateFile(binaryPath(f)),
      {
        code: 'TRAIN_CHECKPOINT_INVALID',
        mentions: ['.bin holds 3072 bytes; 256 parameters and the best take 6144'],
      },
    ],
    [
      'its binary file is missing',
      (f) => rmSync(binaryPath(f)),
      { code: 'TRAIN_CHECKPOINT_INVALID', mentions: ['.bin is missing'] },
    ],
    [
      'a byte of its binary file changed',
      (f) => {
        const bytes = readFileSync(binaryPath(f));
        bytes[100] ^= 1;
        writeFileSync(binaryPath(f), bytes);
      },
      {
        code: 'TRAIN_CHECKPOINT_INVALID',
        mentions: ['.bin does not have the SHA-256 checkpoint.json records'],
      },
    ],
    [
      'it names a file outside its folder',
      (f) =>
        editJson(checkpoint(f), (c) => ({ ...c, tensors: { ...(c.tensors as object), file: '../x.bin' } })),
      { code: 'TRAIN_CHECKPOINT_INVALID', mentions: ['field tensors.file'] },
    ],
    [
      'a value is NaN',
      (f) => patch(f, (arrays) => (arrays.values[70] = NaN)),
      {
        code: 'SOFT_PROMPT_NOT_FINITE',
        mentions: ['field values: value 70 (virtual token 1, dimension 6) is NaN'],
      },
    ],
    [
      'the best prompt holds Infinity',
      (f) => patch(f, (arrays) => (arrays.best![3] = Infinity)),
      { code: 'SOFT_PROMPT_NOT_FINITE', mentions: ['field best.values: value 3'] },
    ],
    [
      'a second moment is negative',
      (f) => patch(f, (arrays) => (arrays.v[5] = -1)),
      { code: 'TRAIN_CHECKPOINT_INVALID', mentions: ['field optimizer.v: value 5 is -1'] },
    ],
    [
      'step is a string',
      (f) => editJson(checkpoint(f), (c) => ({ ...c, step: '2' })),
      { code: 'TRAIN_CHECKPOINT_INVALID', mentions: ['field step'] },
    ],
    [
      'the history lost a record',
      (f) => editJson(checkpoint(f), (c) => ({ ...c, history: (c.history as unknown[]).slice(1) })),
      { code: 'TRAIN_CHECKPOINT_INVALID', mentions: ['the history has 1 records'] },
    ],
    [
      'it belongs to other settings',
      (f) => editJson(checkpoint(f), (c) => ({ ...c, settings: '{}' })),
      { code: 'TRAIN_CHECKPOINT_MISMATCH', mentions: ['belongs to a run with other settings'] },
    ],
    [
      'it holds a prompt of another size',
      (f) =>
        editJson(checkpoint(f), (c) => ({ ...c, tensors: { ...(c.tensors as object), parameters: 1e12 } })),
      { code: 'TRAIN_CHECKPOINT_MISMATCH', mentions: ['belongs to a run with other settings'] },
    ],
    // as written before the binary file
    [
      'an inline value was written as null (NaN)',
      (f) => inline(f, (s) => (s.values[70] = null)),
      {
        code: 'SOFT_PROMPT_NOT_FINITE',
        mentions: ['field values: value 70 (virtual token 1, dimension 6) is NaN'],
      },
    ],
    [
      'an inline best prompt holds null (NaN)',
      (f) => inline(f, (s) => (s.best.values[3] = null)),
      { code: 'SOFT_PROMPT_NOT_FINITE', mentions: ['field best.values: value 3'] },
    ],
    [
      'an inline value overflows to Infinity',
      (f) => {
        rewriteInline(f);
        editJson(checkpoint(f), (c) => JSON.stringify(c).replace(/"values":\[[^,\]]+/, '"values":[1e999'));
      },
      {
        code: 'TRAIN_CHECKPOINT_INVALID',
        mentions: ['field values.0: Invalid input: expected number, received Infinity'],
      },
    ],
    [
      'an inline checkpoint holds a prompt of another size',
      (f) => inline(f, (s) => s.values.pop()),
      { code: 'TRAIN_CHECKPOINT_MISMATCH', mentions: ['belongs to a run with other settings'] },
    ],
  ])('%s', async (_case, damage, refusal) => {
    const folder = folderWith(
      'checkpoint',
      ['checkpoint.json', 'metrics.jsonl', readSaved(trained).tensors.file].map((file) =>
        join(trained, file),
      ),
    );
    damage(folder);
    refusal.mentions.push(checkpoint(folder));
    await expectRefusal(
      folder,
      () =>
        trainSoftPrompt(gguf.model, initial, train, train.slice(0, 2), {
          ...trainOptions,
          directory: folder,
        }),
      refusal,
    );
  });

  it("names the run's own value as a flag when a setting differs (a default an upgrade changed)", async () => {
    const folder = folderWith(
      'checkpoint',
      ['checkpoint.json', 'metrics.jsonl', readSaved(trained).tensors.file].map((file) =>
        join(trained, file),
      ),
    );
    editJson(checkpoint(folder), (c) => {
      const settings = JSON.parse(String(c.settings)) as Record<string, unknown>;
      return { ...c, settings: JSON.stringify({ ...settings, evalEvery: 999 }) };
    });
    const refusal = await expectRefusal(
      folder,
      () =>
        trainSoftPrompt(gguf.model, initial, train, train.slice(0, 2), {
          ...trainOptions,
          directory: folder,
        }),
      { code: 'TRAIN_CHECKPOINT_MISMATCH', mentions: ['(dev every 999 → '] },
    );
    expect(refusal.hint).toContain(
      "(the run's own: --eval-every 999; a default may have changed since it started)",
    );
  });
});

describe('datasets', () => {
  const shape = { inputFields: ['input'], targetField: 'target', textFields: ['input', 'target'] };
  const good = {
    jsonl: '{"input": "Tom ran.", "target": " Tom"}\n{"input": "Sue sat.", "target": " Sue"}\n',
    csv: 'input,target\nTom ran., Tom\nSue sat., Sue\n',
  };
  const latin1 = (text: string) => Buffer.from(text, 'latin1');
  it.each<[string, 'jsonl' | 'csv', (text: string) => string | Buffer, Refusal]>([
    [
      'invalid UTF-8 on line 2',
      'jsonl',
      (t) => Buffer.concat([Buffer.from(t), latin1('{"input": "caf\xe9", "target": " x"}\n')]),
      { code: 'DATASET_ENCODING', mentions: [':3: the line is not valid UTF-8'] },
    ],
    [
      'invalid UTF-8 in a CSV row',
      'csv',
      (t) => Buffer.concat([Buffer.from(t), latin1('na\xefve, x\n')]),
      { code: 'DATASET_ENCODING', mentions: [':4: the line is not valid UTF-8'] },
    ],
    [
      'a line cut in the middle',
      'jsonl',
      (t) => t.slice(0, -10),
      { code: 'DATASET_SYNTAX', mentions: [':2 is not valid JSON'] },
    ],
    [
      'a line that is a number',
      'jsonl',
      (t) => `${t}42\n`,
      { code: 'DATASET_RECORD', mentions: [':3: expected an object, found a number'] },
    ],
    [
      'a target that is an object',
      'jsonl',
      (t) => t.replace('" Sue"', '{"name": "Sue"}'),
      { code: 'DATASET_FIELD_TYPE', mentions: [':2: field "target" is an object'] },
    ],
    [
      'a row with too many columns',
      'csv',
      (t) => `${t}a,b,c\n`,
      { code: 'DATASET_SYNTAX', mentions: [':4'] },
    ],
    [
      'a missing input',
      'jsonl',
      (t) => t.replace('"input"', '"text"'),
      { code: 'DATASET_MISSING_FIELD', mentions: [':1: missing field "input"'] },
    ],
  ])('%s (%s)', async (_case, format, damage, refusal) => {
    const folder = folderWith('dataset', []);
    const path = join(folder, `train.${format}`);
    writeFileSync(path, damage(good[format]));
    refusal.mentions.push(path);
    await expectRefusal(folder, () => readExamples(path, shape), refusal);
  });
});

describe('task specs', () => {
  const yaml = 'name: greet\nprompt:\n  template: "Say hi to {{input}}"\n';
  it.each<[string, string, string, Refusal]>([
    [
      'a YAML syntax error',
      'spec.yaml',
      `${yaml}name: again\n`,
      { code: 'TASK_SPEC_SYNTAX', mentions: [':4:1: Map keys must be unique'] },
    ],
    [
      'a JSON syntax error',
      'spec.json',
      '{\n  "name": "greet",\n  "prompt": {"template": "{{input}}"},\n}\n',
      { code: 'TASK_SPEC_SYNTAX', mentions: [':4:1: not valid JSON'] },
    ],
    [
      'a field of the wrong type',
      'spec.yaml',
      yaml.replace('name: greet', 'name: 12'),
      { code: 'TASK_SPEC_INVALID', mentions: ['field name'] },
    ],
    [
      'invalid UTF-8',
      'spec.yaml',
      `${yaml}description: caf\xe9\n`,
      { code: 'TASK_SPEC_SYNTAX', mentions: [':4: the line is not valid UTF-8'] },
    ],
  ])('%s', async (_case, name, text, refusal) => {
    const folder = folderWith('spec', []);
    const path = join(folder, name);
    writeFileSync(path, name.endsWith('.yaml') && text.includes('\xe9') ? Buffer.from(text, 'latin1') : text);
    refusal.mentions.push(path);
    await expectRefusal(folder, () => loadTask(path), refusal);
  });
});
