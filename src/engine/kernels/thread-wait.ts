// How the kernels' OpenMP threads wait between products, chosen before the addon loads (libgomp reads
// OMP_WAIT_POLICY once, then). Left unset, they spin a while: fastest on cores of their own (batch-1
// decode of a SmolLM2-135M-shaped model at 55 tokens/s here, against 38 sleeping), and 3–4× slower
// when another process is busy on a core (14–17 tokens/s, against 26–30 sleeping), since a spinning
// thread holds the core the thread with work is waiting for. So when other threads are running as the
// addon loads (at least a quarter of the cores' worth, and at least one), the threads sleep:
// OMP_WAIT_POLICY=PASSIVE. "Running" is the kernel's count of runnable threads now (/proc/loadavg),
// not the load average, which would still count a run of our own that ended a minute ago (it is the
// whole machine's: in a container, its host's). A value the user set is left as it is, so a user can
// choose either way; one chosen here is marked (PROMPTUNE_OMP_WAIT_CHOSEN), so a process started from
// this one (a job, a loop's step) chooses again for itself rather than take it as the user's.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isMainThread } from 'node:worker_threads';

/** Marks an OMP_WAIT_POLICY chosen here, not by the user. */
const chosenMark = 'PROMPTUNE_OMP_WAIT_CHOSEN';
let decided = false;

/**
 * chooseThreadWait for this process, once, on its main thread: libgomp reads the process's own
 * environment, which a worker thread's process.env (a copy) does not reach, and reads it only when it
 * first loads (a later choice would change nothing but what is reported).
 */
export function chooseThreadWaitOnce(): void {
  if (!isMainThread || decided) return;
  decided = true;
  chooseThreadWait();
}

/**
 * Sets OMP_WAIT_POLICY in `env` to PASSIVE when it is unset and other threads are running: at least a
 * quarter of the cores' worth, and at least one. Returns the value it set, or undefined when it set
 * none. Must run before the addon loads; afterwards the variable is not read.
 */
export function chooseThreadWait(
  env: NodeJS.ProcessEnv = process.env,
  running: () => number | undefined = otherRunnableThreads,
  cores: number = availableParallelism(),
): string | undefined {
  if (env[chosenMark] === '1') {
    // a parent's choice, for the machine as it was then: chosen again here
    delete env.OMP_WAIT_POLICY;
    delete env[chosenMark];
  }
  if (env.OMP_WAIT_POLICY !== undefined && env.OMP_WAIT_POLICY !== '') return undefined;
  const others = running();
  if (others === undefined || others < Math.max(1, cores / 4)) return undefined;
  env.OMP_WAIT_POLICY = 'PASSIVE';
  env[chosenMark] = '1';
  return env.OMP_WAIT_POLICY;
}

/**
 * How many threads besides the one asking the kernel counts as runnable, the median of 9 looks 3 ms
 * apart (one look catches a passing process); undefined where /proc/loadavg is missing (not Linux).
 */
export function otherRunnableThreads(): number | undefined {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const looks: number[] = [];
  for (let look = 0; look < 9; look++) {
    if (look > 0) Atomics.wait(pause, 0, 0, 3);
    let text: string;
    try {
      text = readFileSync('/proc/loadavg', 'utf8');
    } catch {
      return undefined;
    }
    const runnable = / (\d+)\/\d+ /.exec(text);
    if (!runnable) return undefined;
    looks.push(Math.max(0, Number(runnable[1]) - 1));
    // five looks of none already make the median none (the idle machine's case, decided in ~12 ms)
    if (looks.filter((count) => count === 0).length === 5) return 0;
  }
  return looks.sort((a, b) => a - b)[4];
}
