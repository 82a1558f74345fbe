// Bad files through the command line, as a user meets them: `soft eval|generate|train` (a resumed run),
// `dataset stats`, `model info` and `generate` each exit 1 with error, hint and code lines naming the
// file, never a stack trace, and leave every file as it was.
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../src/engine/index.js';
import { loadGguf, tokenizerMetadata } from '../src/engine/weights/gguf.js';
import { GgufType, writeGguf } from '../src/engine/weights/gguf-writer.js';
import {
  editJson,
  editSafetensorsHeader,
  folderWith,
  patchSafetensorsFloat,
  snapshot,
  truncateFile,
} from './readers-helpers.js';
import { readArrays, writeArrays } from './checkpoint-files.js';
import { repositoryRoot, sharedModels, stories } from './models.js';

function promptune(...args: string[]) {
  const result = spawnSync(process.execPath, [join(repositoryRoot, 'bin', 'promptune.js'), ...args], {
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const datasets = join(sharedModels, '..', 'datasets');
let trained: string; // a data folder (train.jsonl, dev.jsonl) with adapter/ from a finished `soft train`
const trainArgs = (data: string) => [
  'soft',
  'train',
  '--model',
  stories.gguf,
  '--data',
  data,
  '--out',
  join(data, 'adapter'),
  '--virtual-tokens',
  '4',
  '--steps',
  '2',
  '--eval-every',
  '1',
  '--batch-size',
  '4',
  '--no-search',
];

beforeAll(() => {
  trained = folderWith('cli-data', []);
  for (const split of ['train', 'dev']) {
    const lines = readFileSync(join(datasets, 'name', `${split}.jsonl`), 'utf8')
      .split('\n')
      .slice(0, 8);
    writeFileSync(join(trained, `${split}.jsonl`), lines.join('\n') + '\n');
  }
  const result = promptune(...trainArgs(trained));
  expect(result.stderr).not.toMatch(/code:/);
  expect(result.status).toBe(0);
}, 120_000); // a `soft train` run can outlast the 10 s hook default on a busy machine

/** A copy of the trained data folder (with its adapter and checkpoint). */
function trainedCopy(): string {
  const folder = folderWith('cli-copy', []);
  cpSync(trained, folder, { recursive: true });
  return folder;
}

/** A copy of the Hugging Face stories260K directory. */
function huggingFaceCopy(): string {
  return folderWith(
    'cli-hf',
    ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'].map((file) =>
      join(stories.huggingFace, file),
    ),
  );
}

const adapter = (folder: string, file = '') => join(folder, 'adapter', file);
const evalArgs = (folder: string, data = join(folder, 'dev.jsonl')) => [
  'soft',
  'eval',
  '--model',
  stories.gguf,
  '--adapter',
  adapter(folder),
  '--data',
  data,
];

describe('bad files through the command line', () => {
  it.each<[string, () => { folder: string; args: string[]; file: string }, string]>([
    [
      'soft eval: a truncated adapter_config.json',
      () => {
        const folder = trainedCopy();
        truncateFile(adapter(folder, 'adapter_config.json'));
        return { folder, args: evalArgs(folder), file: adapter(folder, 'adapter_config.json') };
      },
      'ADAPTER_CONFIG_INVALID',
    ],
    [
      'soft eval: a corrupt promptune.json',
      () => {
        const folder = trainedCopy();
        editJson(adapter(folder, 'promptune.json'), (value) => ({ ...value, layout: 7 }));
        return { folder, args: evalArgs(folder), file: adapter(folder, 'promptune.json') };
      },
      'ADAPTER_METADATA_INVALID',
    ],
    [
      'soft eval: a prompt holding NaN',
      () => {
        const folder = trainedCopy();
        patchSafetensorsFloat(adapter(folder, 'adapter_model.safetensors'), 'prompt_embeddings', 5, NaN);
        return { folder, args: evalArgs(folder), file: adapter(folder, 'adapter_model.safetensors') };
      },
      'SOFT_PROMPT_NOT_FINITE',
    ],
    [
      'soft generate: a prompt holding Infinity',
      () => {
        const folder = trainedCopy();
        patchSafetensorsFloat(adapter(folder, 'adapter_model.safetensors'), 'prompt_embeddings', 9, Infinity);
        const args = [
          'soft',
          'generate',
          '--model',
          stories.gguf,
          '--adapter',
          adapter(folder),
          '--prompt',
          'Tim',
        ];
        return { folder, args, file: adapter(folder, 'adapter_model.safetensors') };
      },
      'SOFT_PROMPT_NOT_FINITE',
    ],
    [
      'soft eval: data that is not UTF-8',
      () => {
        const folder = trainedCopy();
        const data = join(folder, 'latin1.jsonl');
        writeFileSync(data, Buffer.from('{"input": "Tom met Zo\xeb.", "target": " Zo"}\n', 'latin1'));
        return { folder, args: evalArgs(folder, data), file: `${data}:1` };
      },
      'DATASET_ENCODING',
    ],
    [
      'soft eval: a target that is an object',
      () => {
        const folder = trainedCopy();
        const data = join(folder, 'object.jsonl');
        writeFileSync(data, '{"input": "Tom ran.", "target": {"name": "Tom"}}\n');
        return { folder, args: evalArgs(folder, data), file: `${data}:1` };
      },
      'DATASET_FIELD_TYPE',
    ],
    [
      'soft train resuming from a truncated checkpoint.json',
      () => {
        const folder = trainedCopy();
        truncateFile(adapter(folder, 'checkpoint.json'));
        return { folder, args: trainArgs(folder), file: adapter(folder, 'checkpoint.json') };
      },
      'TRAIN_CHECKPOINT_INVALID',
    ],
    [
      'soft train resuming from a checkpoint holding NaN',
      () => {
        const folder = trainedCopy();
        const arrays = readArrays(adapter(folder));
        arrays.values[12] = NaN;
        writeArrays(adapter(folder), arrays);
        return { folder, args: trainArgs(folder), file: adapter(folder, 'checkpoint.json') };
      },
      'SOFT_PROMPT_NOT_FINITE',
    ],
    [
      'dataset stats: a JSONL file that is not UTF-8',
      () => {
        const folder = folderWith('cli-stats', []);
        const data = join(folder, 'data.jsonl');
        writeFileSync(
          data,
          Buffer.from('{"input": "a", "target": "b"}\n{"input": "caf\xe9", "target": "b"}\n', 'latin1'),
        );
        return { folder, args: ['dataset', 'stats', data], file: `${data}:2` };
      },
      'DATASET_ENCODING',
    ],
    [
      'dataset stats: a CSV file that is not UTF-8',
      () => {
        const folder = folderWith('cli-stats', []);
        const data = join(folder, 'data.csv');
        writeFileSync(data, Buffer.from('input,target\ncaf\xe9,b\n', 'latin1'));
        return { folder, args: ['dataset', 'stats', data], file: `${data}:2` };
      },
      'DATASET_ENCODING',
    ],
    [
      'dataset stats: a line that is not an object',
      () => {
        const folder = folderWith('cli-stats', []);
        const data = join(folder, 'data.jsonl');
        writeFileSync(data, '{"input": "a", "target": "b"}\n[1, 2]\n');
        return { folder, args: ['dataset', 'stats', data], file: `${data}:2` };
      },
      'DATASET_RECORD',
    ],
    [
      'model info: config.json with a string size',
      () => {
        const folder = huggingFaceCopy();
        editJson(join(folder, 'config.json'), (value) => ({ ...value, hidden_size: 'sixty-four' }));
        return { folder, args: ['model', 'info', '--model', folder], file: join(folder, 'config.json') };
      },
      'WEIGHT_BAD_CONFIG',
    ],
    [
      'model info: a truncated tokenizer.json',
      () => {
        const folder = huggingFaceCopy();
        truncateFile(join(folder, 'tokenizer.json'));
        return { folder, args: ['model', 'info', '--model', folder], file: join(folder, 'tokenizer.json') };
      },
      'TOKENIZER_CORRUPT',
    ],
    [
      'generate: a safetensors header whose dtype is a number',
      () => {
        const folder = huggingFaceCopy();
        editSafetensorsHeader(join(folder, 'model.safetensors'), (header) => ({
          ...header,
          'model.norm.weight': { ...header['model.norm.weight'], dtype: 1 },
        }));
        return {
          folder,
          args: ['generate', '--model', folder, '--prompt', 'Once'],
          file: join(folder, 'model.safetensors'),
        };
      },
      'WEIGHT_BAD_HEADER',
    ],
    [
      'generate: a tokenizer given by --tokenizer without its model',
      () => {
        const folder = huggingFaceCopy();
        editJson(join(folder, 'tokenizer.json'), ({ model: _model, ...rest }) => rest);
        const args = [
          'generate',
          '--model',
          stories.gguf,
          '--tokenizer',
          join(folder, 'tokenizer.json'),
          '--prompt',
          'x',
        ];
        return { folder, args, file: join(folder, 'tokenizer.json') };
      },
      'TOKENIZER_CORRUPT',
    ],
  ])('%s', (_case, build, code) => {
    const { folder, args, file } = build();
    const before = snapshot(folder);
    const result = promptune(...args);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).toMatch(new RegExp(`^code: ${code}$`, 'm'));
    expect(result.stderr).toMatch(/^hint: \S.*$/m);
    expect(result.stderr.split('\n')[0]).toMatch(/^error: /);
    expect(result.stderr).toContain(file);
    expect(result.status).toBe(1);
    expect(snapshot(folder)).toEqual(before);
  });

  it('model info: GGUF metadata of the wrong type', async () => {
    const { model } = await loadModel(stories.gguf);
    const folder = folderWith('cli-gguf', []);
    const path = join(folder, 'model.gguf');
    writeGguf(path, model.config, model.weights, {
      metadata: {
        ...tokenizerMetadata((await loadGguf(stories.gguf)).typedMetadata),
        'llama.feed_forward_length': { type: GgufType.STRING, value: '172' },
      },
    });
    const before = snapshot(folder);
    const result = promptune('model', 'info', '--model', path);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).toMatch(/^code: WEIGHT_BAD_METADATA$/m);
    expect(result.stderr).toMatch(/^hint: \S/m);
    expect(result.stderr).toContain(`GGUF metadata of ${path}: field llama.feed_forward_length`);
    expect(result.status).toBe(1);
    expect(snapshot(folder)).toEqual(before);
  });
});
