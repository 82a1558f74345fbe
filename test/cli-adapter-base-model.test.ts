// The base model an adapter names, as PEFT reads it: adapter_config.json's base_model_name_or_path is
// what AutoPeftModelForCausalLM.from_pretrained(adapter) loads, so it is the hub id of an hf: model and
// the absolute path of a local one; promptune.json keeps a short name for people. Each writer (prompt
// tuning, P-tuning, LoRA, prefix tuning, multitask) through `soft train` and `soft train-multitask`.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { slice } from './cli-soft-helpers.js';
import { repositoryRoot, sharedModels, stories } from './models.js';

/** Runs bin/promptune.js in `directory` with `environment` added to this process's. */
function promptuneIn(directory: string, environment: Record<string, string>, ...args: string[]) {
  const result = spawnSync(process.execPath, [join(repositoryRoot, 'bin', 'promptune.js'), ...args], {
    encoding: 'utf8',
    cwd: directory,
    env: { ...process.env, HF_HUB_CACHE: join(directory, 'hf'), ...environment },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

const methods = ['prompt-tuning', 'p-tuning', 'lora', 'prefix-tuning', 'multitask-prompt-tuning'];

describe('adapter_config.json names a base model PEFT can load', () => {
  const data = slice('name', { train: 8, dev: 4, test: 4 });

  it.each(methods)('%s on hf:myorg/tiny records the hub id', (method) => {
    // stories260K-hf placed by hand in promptune's cache as myorg/tiny; no network
    const cache = join(data, 'cache');
    const folder = join(cache, 'myorg--tiny', 'main');
    mkdirSync(folder, { recursive: true });
    for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'])
      copyFileSync(join(stories.huggingFace, file), join(folder, file));
    const out = join(data, `hub-${method}`);
    const trained = promptuneIn(
      data,
      { PROMPTUNE_CACHE: cache, HF_HUB_OFFLINE: '1' },
      ...['soft', 'train', '--method', method, '--model', 'hf:myorg/tiny', '--data', '.', '--out', out],
      ...['--epochs', '1', '--json'],
    );
    expect(trained.stderr).not.toMatch(/code: /);
    expect(trained.status).toBe(0);
    expect(readJson(join(out, 'adapter_config.json')).base_model_name_or_path).toBe('myorg/tiny');
    expect(readJson(join(out, 'promptune.json')).baseModel).toMatchObject({ name: 'myorg/tiny' });
  });

  // (the shared models folder may be a symbolic link: the command's working folder is its real path)
  it.each(methods)('%s on a relative local folder records its absolute path', (method) => {
    const out = join(data, `local-${method}`);
    const trained = promptuneIn(
      sharedModels,
      {},
      ...['soft', 'train', '--method', method, '--model', 'stories260K-hf', '--data', data, '--out', out],
      ...['--epochs', '1', '--json'],
    );
    expect(trained.status).toBe(0);
    expect(readJson(join(out, 'adapter_config.json')).base_model_name_or_path).toBe(
      realpathSync(stories.huggingFace),
    );
    // the short name for people: "trained on stories260K-hf, whose weights differ"
    expect(readJson(join(out, 'promptune.json')).baseModel).toMatchObject({ name: 'stories260K-hf' });
  });

  it('soft train-multitask records the absolute path of a local GGUF file', () => {
    const animal = slice('animal', { train: 8, dev: 4, test: 4 });
    const out = join(data, 'train-multitask');
    const trained = promptuneIn(
      join(stories.gguf, '..'),
      {},
      ...['soft', 'train-multitask', '--model', 'stories260K.gguf', '--data', data, '--data', animal],
      ...['--out', out, '--epochs', '1', '--json'],
    );
    expect(trained.status).toBe(0);
    expect(readJson(join(out, 'adapter_config.json')).base_model_name_or_path).toBe(
      realpathSync(stories.gguf),
    );
    expect(readJson(join(out, 'promptune.json')).baseModel).toMatchObject({ name: 'stories260K.gguf' });
  });
});
