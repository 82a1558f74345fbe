// Ctrl-C (SIGINT) and SIGTERM during long work (training, a comparison, an evaluation, an optimization):
// the first asks it to stop at its next step, keeping what it did; the second ends the process at once.
// main.ts prints the stop as any error and then ends the process by the same signal, so a shell or a job
// worker sees how the command ended.
// Outside the span a command asks for, the process ends at once too, but first ends what asked to be
// told (beforeSignalEnd: a run recorded in the registry is marked cancelled rather than left running).

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
  spans++;
  let disposed = false;
  const dispose = () => {
    if (!disposed) spans--;
    disposed = true;
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

/** Spans of long work whose own handler answers the signals now. */
let spans = 0;

/** What must end before the process does, when a signal ends it outside a span. */
const endings = new Set<(signal: NodeJS.Signals) => Promise<void>>();

/** How long the endings may take before the process ends anyway. */
const endingsMs = 5_000;

/**
 * Runs `ending` before a SIGINT or SIGTERM that arrives outside a span ends the process (a job's cancel
 * after training, while the test split is scored): a run is then recorded as stopped, not left
 * running. Returns what removes it again.
 */
export function beforeSignalEnd(ending: (signal: NodeJS.Signals) => Promise<void>): () => void {
  if (endings.size === 0) {
    process.on('SIGINT', endOutsideSpans);
    process.on('SIGTERM', endOutsideSpans);
  }
  endings.add(ending);
  return () => {
    endings.delete(ending);
    if (endings.size > 0) return;
    process.off('SIGINT', endOutsideSpans);
    process.off('SIGTERM', endOutsideSpans);
  };
}

function endOutsideSpans(name: NodeJS.Signals): void {
  if (spans > 0) return; // the span's own handler stops the work
  process.off('SIGINT', endOutsideSpans);
  process.off('SIGTERM', endOutsideSpans);
  const pending = [...endings].map((ending) => ending(name).catch(() => undefined));
  endings.clear();
  const end = () => {
    releaseOutputLocks(); // ending by the signal fires no 'exit'
    process.kill(process.pid, name);
  };
  setTimeout(end, endingsMs).unref();
  void Promise.all(pending).then(end);
}
