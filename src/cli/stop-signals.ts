// Ctrl-C (SIGINT) and SIGTERM during long work (training, a comparison, an evaluation, an optimization):
// the first asks it to stop at its next step, keeping what it did; the second ends the process at once.
// main.ts prints the stop as any error and then ends the process by the same signal, so a shell or a job
// worker sees how the command ended.
// Outside the span a command asks for, the signals keep Node's default: the process ends at once.

import { releaseOutputLocks } from './output-lock.js';

let received: NodeJS.Signals | undefined;

/** The signal that asked the work to stop, if one did. */
export function stoppingSignal(): NodeJS.Signals | undefined {
  return received;
}

/**
 * An AbortSignal the first SIGINT or SIGTERM aborts, saying on stderr what happens next ("stopping " and
 * `stopping`: what stops when, and what is kept); a second ends the process by that signal. `dispose`
 * gives the signals back their default.
 */
export function stopOnSignals(stopping: string): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const dispose = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  function onSignal(name: NodeJS.Signals) {
    if (received) {
      dispose();
      releaseOutputLocks(); // ending by the signal fires no 'exit'
      process.kill(process.pid, name);
      return;
    }
    received = name;
    process.stderr.write(
      `\n${name}: stopping ${stopping} (${name === 'SIGINT' ? 'Ctrl-C' : name} again stops at once)\n`,
    );
    controller.abort();
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { signal: controller.signal, dispose };
}
