// A signal that reaches a command after its long work's own span (a job cancelled while the test split
// is scored, after training) still ends its recorded run: cancelled, naming the signal, instead of
// left running; and the process ends by that signal, as a job's worker expects.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Registry } from '../src/registry/index.js';

const dist = new URL('../dist/', import.meta.url).href;

describe('a signal outside a span of long work', () => {
  it('ends the recorded run as cancelled before the process ends by it', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'promptune-signal-end-'));
    const db = join(folder, 'registry.sqlite');
    const script = join(folder, 'command.mjs');
    // a command that records a run and then works on outside any span (as the scoring after training)
    writeFileSync(
      script,
      [
        `const { recordRun } = await import('${dist}cli/run-recorder.js');`,
        `const run = await recordRun(${JSON.stringify(db)}, { kind: 'soft-training', task: 'name', config: {} });`,
        'run.progress(3, 10);',
        'console.log(run.id);',
        'setInterval(() => undefined, 1000);',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const id = await new Promise<string>((resolve) =>
      child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())),
    );
    const ended = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('close', (_code, signal) => resolve(signal)),
    );
    child.kill('SIGTERM');
    expect(await ended).toBe('SIGTERM');
    const registry = await Registry.open({ path: db });
    try {
      expect(await registry.runs.get(id)).toMatchObject({
        status: 'cancelled',
        error: 'stopped by SIGTERM before it finished',
      });
    } finally {
      await registry.close();
    }
  });
});
