import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // test files run in parallel, each with OpenMP's pool: spinning idle threads (OpenMP's default)
    // would steal the cores the other files compute on, slowing native kernels 15-25x under load
    env: { OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' },
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/**/*.test.ts'],
    // the heaviest tests (model training, killed-and-resumed CLI runs) take 20-40 s on 2 idle cores
    testTimeout: 120_000,
    pool: 'forks',
    // a file per core, at least two: vitest's default (cores - 1) ran one file at a time on a 2-core
    // machine, whose cores then idled a third of the run while tests waited on the CLIs, servers and
    // browser they start (suite 900.9 s with one worker, 735.6 s with two, same machine and tree)
    maxWorkers: Math.max(availableParallelism(), 2),
    // each worker process runs its files one after another in one module graph instead of re-importing
    // the whole tree per file: importing took 73 s of the unit tests' 271 s (and the suite 1,104 s →
    // 930 s); no test file leaves state behind (spies restored, env put back, each its own temp folders)
    isolate: false,
    // ... and test/leak-guard.ts fails a file that does leave some behind
    setupFiles: ['test/leak-guard.ts'],
    // one temporary folder for the whole run, removed when it ends (test/temporary-root.ts)
    globalSetup: ['test/temporary-root.ts'],
  },
});
