// What the end-to-end tests of review and the closed loop share: the CLI run in a folder, a `gender`
// task whose data is part of the shared splits (its spec the example's, with data in the folder),
// `promptune serve` on stories260K with an HTTP helper, and feeding a review queue until it has queued
// all the traffic (traces reach the registry a moment after their answers).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repositoryRoot, stories } from './models.js';

export const bin = join(repositoryRoot, 'bin', 'promptune.js');
const shared = join(repositoryRoot, '..', 'shared', 'datasets', 'gender');

/** Runs promptune in `cwd`; its stdout, or an error with its stderr. */
export function run(cwd: string, ...args: string[]): string {
  const result = spawnSync('node', [bin, ...args], { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`promptune ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
}

/** A JSON-lines file's rows. */
export const lines = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { input: string; target: string });

/** Writes rows as a JSON-lines file. */
export const writeLines = (path: string, rows: object[]) =>
  writeFileSync(path, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');

/**
 * Writes gender.yaml and its data in `cwd` (the shared train's first 256 rows, dev's first 32, test's
 * first `test`) and returns the shared train split, whose later rows are traffic.
 */
export function writeGenderTask(cwd: string, test = 32) {
  const train = lines(join(shared, 'train.jsonl'));
  mkdirSync(join(cwd, 'data'));
  writeLines(join(cwd, 'data', 'train.jsonl'), train.slice(0, 256));
  writeLines(join(cwd, 'data', 'dev.jsonl'), lines(join(shared, 'dev.jsonl')).slice(0, 32));
  writeLines(join(cwd, 'data', 'test.jsonl'), lines(join(shared, 'test.jsonl')).slice(0, test));
  const spec = readFileSync(join(repositoryRoot, 'examples', 'gender.yaml'), 'utf8').replace(
    /data:\n( {2}.*\n)+/,
    'data:\n  train: data/train.jsonl\n  dev: data/dev.jsonl\n  test: data/test.jsonl\n',
  );
  writeFileSync(join(cwd, 'gender.yaml'), spec);
  return train;
}

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies read loosely

/** `promptune serve` on stories260K in `cwd`, with a caller and a stop. */
export async function startService(cwd: string) {
  const server = spawn('node', [bin, 'serve', '--model', stories.gguf, '--port', '0'], {
    cwd,
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  let stdout = '';
  server.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise((resolve) => server.on('exit', resolve));
  for (let i = 0; i < 400 && !/listening on (\S+)/.test(stdout); i++)
    await new Promise((resolve) => setTimeout(resolve, 50));
  const match = /listening on (\S+)/.exec(stdout);
  if (!match) throw new Error(`promptune serve did not start:\n${stdout}`);
  const url = match[1];
  const call = async (bearer: string, method: string, path: string, body?: unknown) => {
    const send = () =>
      fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    // the tests block their own event loop in spawnSync for seconds at a time; a kept-alive socket the
    // server closed meanwhile (its keep-alive timeout is 5 s) is found closed only on reuse, before the
    // server read anything: that request is sent again on a new socket
    const response = await send().catch((error: unknown) => {
      const cause = (error as { cause?: { code?: string } }).cause;
      if (cause?.code !== 'UND_ERR_SOCKET') throw error;
      return send();
    });
    return { body: (await response.json()) as Body, headers: response.headers };
  };
  const stop = async () => {
    server.kill('SIGTERM');
    await exited;
  };
  return { url, call, stop };
}

/** Feeds `queue` from the last hour's traffic until it has queued `count` items; returns how many. */
export async function feedQueue(cwd: string, queue: string, count: number): Promise<number> {
  let queued = 0;
  for (let i = 0; i < 40 && queued < count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    queued += Number(/queued (\d+)/.exec(run(cwd, 'review', 'feed', queue, '--since', '1h'))![1]);
  }
  return queued;
}
