// Helpers for the CLI tests of optimize and eval against a scripted model server: a small sums task in
// a fresh folder, running the CLI without blocking this process (the server lives in it), killing a run
// while the server holds one of its requests, and a snapshot of a folder's files to show nothing changed.
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { expect } from 'vitest';
import { repositoryRoot } from './models.js';
import type { ScriptedChatServer } from './scripted-model.js';

const bin = join(repositoryRoot, 'bin', 'promptune.js');

/** A sums task in a fresh folder: 30 training, 20 dev and 40 test examples; returns the folder. */
export function sumsTask(): string {
  const cwd = mkdtempSync(join(tmpdir(), 'promptune-cli-sums-'));
  const lines = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) =>
      JSON.stringify({ input: `${from + i} + ${2 * (from + i)}`, target: String(3 * (from + i)) }),
    ).join('\n') + '\n';
  writeFileSync(join(cwd, 'train.jsonl'), lines(1, 30));
  writeFileSync(join(cwd, 'dev.jsonl'), lines(100, 20));
  writeFileSync(join(cwd, 'test.jsonl'), lines(200, 40));
  writeFileSync(
    join(cwd, 'task.yaml'),
    'name: sums\nprompt:\n  template: "Q: {{input}}\\nAnswer:"\ndata:\n  train: train.jsonl\n  dev: dev.jsonl\n  test: test.jsonl\ngeneration:\n  maxTokens: 4\n',
  );
  return cwd;
}

/** Runs the CLI in `cwd` as a child process; `done()` gives its exit status, signal and output. */
export function startCli(cwd: string, args: string[]) {
  const child = spawn(process.execPath, [bin, ...args], { cwd });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const closed = new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (status, signal) => resolve({ status, signal })),
  );
  return { child, done: async () => ({ ...(await closed), stdout, stderr }) };
}

/**
 * Runs the CLI and kills it with SIGKILL when the server receives its request number `at` (counted
 * over the server's life), which the server holds unanswered; returns the server's request count then.
 */
export async function killedAt(server: ScriptedChatServer, at: number, cwd: string, args: string[]) {
  const run = startCli(cwd, args);
  const outcome = await Promise.race([
    server.holdRequest(at).then(() => 'held' as const),
    run.done().then(() => 'finished' as const),
  ]);
  expect(outcome).toBe('held'); // the run was still going when it was killed
  run.child.kill('SIGKILL');
  const { signal } = await run.done();
  server.releaseHeld();
  expect(signal).toBe('SIGKILL');
  return server.requests;
}

/**
 * Every file under `folder` with its content, to compare before and after a command. SQLite databases
 * are compared by their rows: SQLite replaying a killed run's write-ahead log on open is no change.
 */
export function snapshot(folder: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (!entry.isFile() || /\.sqlite-(wal|shm)$/.test(path)) continue;
    files[relative(folder, path)] = path.endsWith('.sqlite')
      ? databaseRows(path)
      : readFileSync(path).toString('base64');
  }
  return files;
}

function databaseRows(path: string): string {
  const database = new Database(path);
  try {
    const tables = database
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all();
    return JSON.stringify(
      (tables as { name: string }[]).map(({ name }) => [
        name,
        database.prepare(`SELECT * FROM "${name}" ORDER BY 1`).all(),
      ]),
    );
  } finally {
    database.close();
  }
}
