// A CLI run stopped as a user stops it: one Ctrl-C (SIGINT) the first time its stderr shows a given
// line, never a second (which would end it at once, keeping nothing). For the tests of what each long
// command keeps when it is stopped.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repositoryRoot } from './models.js';

/** Runs `promptune args` in `cwd`, sends SIGINT once its stderr so far matches `when`, and says how it ended. */
export async function interruptedRun(
  args: string[],
  when: RegExp,
  cwd?: string,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(process.execPath, [join(repositoryRoot, 'bin', 'promptune.js'), ...args], { cwd });
  let stderr = '';
  let sent = false;
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (!sent && when.test(stderr)) sent = child.kill('SIGINT');
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (...ending) => resolve(ending)),
  );
  return { code, signal, stderr };
}
