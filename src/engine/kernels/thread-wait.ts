// How the kernels' OpenMP threads wait between products, chosen before the addon loads (libgomp reads
// OMP_WAIT_POLICY once, then). Left unset, they spin a while: fastest on cores of their own (batch-1
// decode of a SmolLM2-135M-shaped model at 55 tokens/s here, against 38 sleeping), and 3–4× slower
// when another process is busy on a core (14–17 tokens/s, against 26–30 sleeping), since a spinning
// thread holds the core the thread with work is waiting for. So when other threads are running as the
// addon loads (at least a quarter of the cores' worth, and at least one), the threads sleep:
// OMP_WAIT_POLICY=PASSIVE. "Running" is the kernel's count of runnable threads now (/proc/loadavg),
// not the load average, which would still count a run of our own that ended a minute ago. A value
// already set is left as it is, so a user can choose either way.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

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
  if (env.OMP_WAIT_POLICY !== undefined && env.OMP_WAIT_POLICY !== '') return undefined;
  const others = running();
  if (others === undefined || others < Math.max(1, cores / 4)) return undefined;
  env.OMP_WAIT_POLICY = 'PASSIVE';
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
    let text: string;
    try {
      text = readFileSync('/proc/loadavg', 'utf8');
    } catch {
      return undefined;
    }
    const runnable = / (\d+)\/\d+ /.exec(text);
    if (!runnable) return undefined;
    looks.push(Number(runnable[1]) - 1);
    Atomics.wait(pause, 0, 0, 3);
  }
  return looks.sort((a, b) => a - b)[4];
}
