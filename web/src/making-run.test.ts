// A version's page names the run that made it, not a later re-tune that gave the same version again.
import { describe, expect, it } from 'vitest';
import { makingRun } from './making-run';
import type { Run } from './types';

const run = (id: string, kind: Run['kind'], version: string | null, startedAt: number) =>
  ({ id, kind, version, startedAt }) as Run;

describe('makingRun', () => {
  it('takes the first training that registered the version, whatever the order listed', () => {
    const runs = [
      run('run-3.retune.1', 'soft-training', 'c5e2', 3000), // an unchanged iteration, newest first
      run('run-2.gate-candidate.1', 'evaluation', 'c5e2', 2500),
      run('run-2.retune.1', 'soft-training', 'c5e2', 2000),
      run('run-1.retune.1', 'soft-training', 'ee78', 1000),
    ];
    expect(makingRun(runs, 'c5e2')?.id).toBe('run-2.retune.1');
    expect(makingRun(runs, 'ee78')?.id).toBe('run-1.retune.1');
    expect(makingRun(runs, '45dd')).toBeUndefined();
  });
});
