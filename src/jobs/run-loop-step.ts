// One step of the closed loop run as a promptune command (soft train, optimize, eval, audit) in the
// policy's folder: a child process that records its run under the id the loop chose (so the loop's
// lineage names it), that ends with the loop (it watches its IPC channel), and that Ctrl-C reaches only
// through the loop. Its output goes to the loop's log; the loop reads the run, not the output.
import { spawn } from 'node:child_process';
import { promptuneCli } from './run-job.js';

/** How a step ended: its exit status and the tail of its output. */
export interface StepResult {
  ok: boolean;
  output: string;
}

/** Runs a loop's step: the command's arguments, the run id it records, the loop it belongs to. */
export type LoopStepRunner = (
  args: string[],
  options: { runId: string; loop: string; signal?: AbortSignal },
) => Promise<StepResult>;

/** Output kept for a failed step's message. */
const tailCharacters = 4_000;

/** A step runner for commands in `folder`, their output told to `onOutput`. */
export function loopStepRunner(folder: string, onOutput: (text: string) => void): LoopStepRunner {
  return (args, options) =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [promptuneCli, ...args], {
        cwd: folder,
        env: {
          ...process.env,
          PROMPTUNE_LOOP: options.loop,
          PROMPTUNE_RUN_ID: options.runId,
          NO_COLOR: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        detached: true,
      });
      let tail = '';
      const take = (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        tail = (tail + text).slice(-tailCharacters);
        onOutput(text);
      };
      child.stdout!.on('data', take);
      child.stderr!.on('data', take);
      const stop = () => {
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      };
      if (options.signal?.aborted) stop();
      options.signal?.addEventListener('abort', stop, { once: true });
      child.once('error', (error) => resolve({ ok: false, output: `${tail}${String(error)}` }));
      child.once('close', (code) => {
        options.signal?.removeEventListener('abort', stop);
        resolve({ ok: code === 0, output: tail });
      });
    });
}
