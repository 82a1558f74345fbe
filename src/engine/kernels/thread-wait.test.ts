// The OpenMP wait policy chosen before the addon loads: sleeping threads while other threads run,
// OpenMP's own default on an idle machine, and whatever the user set left as it is.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { chooseThreadWait, otherRunnableThreads } from './thread-wait.js';

const running = (count: number | undefined) => () => count;

describe('OpenMP wait policy', () => {
  it('lets the threads sleep while other threads run: a quarter of the cores, and at least one', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(chooseThreadWait(env, running(1), 2)).toBe('PASSIVE');
    expect(env.OMP_WAIT_POLICY).toBe('PASSIVE');
    expect(chooseThreadWait({}, running(4), 16)).toBe('PASSIVE');
  });

  it('leaves an idle machine, one it cannot read, and a choice already made, to OpenMP', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(chooseThreadWait(env, running(0), 2)).toBeUndefined();
    expect(chooseThreadWait(env, running(3), 16)).toBeUndefined(); // under a quarter of 16
    expect(chooseThreadWait(env, running(undefined), 2)).toBeUndefined();
    expect(env.OMP_WAIT_POLICY).toBeUndefined();
    const chosen: NodeJS.ProcessEnv = { OMP_WAIT_POLICY: 'ACTIVE' };
    expect(chooseThreadWait(chosen, running(8), 2)).toBeUndefined();
    expect(chosen.OMP_WAIT_POLICY).toBe('ACTIVE');
  });

  it("chooses again in a process started from one that chose (a job): a parent's choice is not the user's", () => {
    const parent: NodeJS.ProcessEnv = {};
    chooseThreadWait(parent, running(2), 2);
    expect(parent).toEqual({ OMP_WAIT_POLICY: 'PASSIVE', PROMPTUNE_OMP_WAIT_CHOSEN: '1' });
    const child = { ...parent };
    expect(chooseThreadWait(child, running(0), 2)).toBeUndefined(); // idle now: OpenMP's default
    expect(child).toEqual({});
    const user: NodeJS.ProcessEnv = { OMP_WAIT_POLICY: 'PASSIVE' };
    expect(chooseThreadWait(user, running(0), 2)).toBeUndefined();
    expect(user).toEqual({ OMP_WAIT_POLICY: 'PASSIVE' });
  });

  it.runIf(process.platform === 'linux')('counts a process that keeps a core busy', async () => {
    const busy = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      // at least that one (other tests' workers may run too, or stop meanwhile)
      expect(otherRunnableThreads()!).toBeGreaterThanOrEqual(1);
    } finally {
      busy.kill('SIGKILL');
    }
  });
});
