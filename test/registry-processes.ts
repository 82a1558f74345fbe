// Runs several test/registry-writer.mjs children against one registry and starts them at the same
// moment: each says "ready" once loaded, and all get "go" together, so their work overlaps.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repositoryRoot } from './models.js';

/** What one child printed after "ready", its stderr, and its exit status. */
export interface WriterOutcome {
  lines: string[];
  stderr: string;
  status: number | null;
}

/** Starts `count` writers with `argumentsOf(index)`, releases them together, and waits for all. */
export async function runWriters(
  count: number,
  argumentsOf: (index: number) => string[],
): Promise<WriterOutcome[]> {
  const children = Array.from({ length: count }, (_, index) =>
    spawn(process.execPath, [join(repositoryRoot, 'test', 'registry-writer.mjs'), ...argumentsOf(index)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
  // a child that already exited cannot take "go"; that is its outcome's business, not a crash here
  for (const child of children) child.stdin.on('error', () => undefined);
  let ready = 0;
  let released = false;
  const release = () => {
    if (released || ready < count) return;
    released = true;
    for (const child of children) child.stdin.end('go\n');
  };
  return Promise.all(
    children.map(
      (child) =>
        new Promise<WriterOutcome>((resolve) => {
          const outcome: WriterOutcome = { lines: [], stderr: '', status: null };
          let buffer = '';
          child.stdout.on('data', (chunk: Buffer) => {
            buffer += chunk.toString();
            const lines = buffer.split('\n');
            buffer = lines.pop()!;
            for (const line of lines) {
              if (line === 'ready') {
                ready++;
                release();
              } else outcome.lines.push(line);
            }
          });
          child.stderr.on('data', (chunk: Buffer) => (outcome.stderr += chunk.toString()));
          child.on('close', (status) => {
            outcome.status = status;
            // a child that died before "ready" must not hold the others back forever
            if (!released && status !== 0) {
              ready = count;
              release();
            }
            resolve(outcome);
          });
        }),
    ),
  );
}
