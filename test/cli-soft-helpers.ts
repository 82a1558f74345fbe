// What the `promptune soft` CLI tests share: running the command as a user does, and data folders made
// of the first rows of a shared task's splits.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repositoryRoot, sharedModels, stories } from './models.js';

const datasets = join(sharedModels, '..', 'datasets');

/** Runs bin/promptune.js with `args`: its status, stdout and stderr. */
export function promptune(...args: string[]) {
  const result = spawnSync(process.execPath, [join(repositoryRoot, 'bin', 'promptune.js'), ...args], {
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A data folder with the first rows of a shared task's splits (each line through `transform`). */
export function slice(
  task: string,
  sizes: Record<string, number>,
  transform = (line: string) => line,
): string {
  const folder = mkdtempSync(join(tmpdir(), `promptune-soft-${task}-`));
  for (const [split, count] of Object.entries(sizes)) {
    const lines = readFileSync(join(datasets, task, `${split}.jsonl`), 'utf8')
      .trim()
      .split('\n')
      .slice(0, count);
    writeFileSync(join(folder, `${split}.jsonl`), lines.map(transform).join('\n') + '\n');
  }
  return folder;
}

/** `soft train` of the task folder `data` into `out` on stories260K's GGUF (`more`: more options). */
export function softTrain(data: string, out: string, ...more: string[]) {
  return promptune('soft', 'train', '--model', stories.gguf, '--data', data, '--out', out, ...more);
}

/** `soft eval --json` of an adapter folder on a .jsonl file, on stories260K's GGUF (`more`: more options). */
export function evaluateAdapter(adapter: string, data: string, ...more: string[]) {
  return promptune(
    'soft',
    'eval',
    '--model',
    stories.gguf,
    '--adapter',
    adapter,
    '--data',
    data,
    '--json',
    ...more,
  );
}

/**
 * `soft generate` of five tokens after "Tim ran to the park." with an adapter folder, on stories260K's GGUF
 * (`more`: more options).
 */
export function generateWithAdapter(adapter: string, ...more: string[]) {
  return promptune(
    'soft',
    'generate',
    '--model',
    stories.gguf,
    '--adapter',
    adapter,
    '--prompt',
    'Tim ran to the park.',
    '--max-tokens',
    '5',
    ...more,
  );
}
