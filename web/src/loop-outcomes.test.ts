// The versions table's loop tags: each version with the latest loop iteration that made it, none for an
// iteration that only reproduced production's version or named none.
import { describe, expect, it } from 'vitest';
import { loopOutcomesByVersion, turnedAway } from './loop-outcomes';
import type { Run } from './types';

const loop = (id: string, version: string | null, outcome: string | undefined, startedAt: number): Run => ({
  id,
  kind: 'loop',
  task: 'gender',
  version,
  datasets: [],
  status: 'completed',
  config: {},
  summary: outcome === undefined ? null : { outcome },
  progress: null,
  actor: 'ops',
  startedAt,
  heartbeatAt: startedAt,
  finishedAt: startedAt,
  error: null,
});

describe('loopOutcomesByVersion', () => {
  it('keeps the latest iteration per version, whatever the order, and leaves out unchanged and unfinished ones', () => {
    const outcomes = loopOutcomesByVersion([
      loop('loop-4', 'v3', 'rolled-back', 4),
      loop('loop-1', 'v1', 'promoted', 1),
      loop('loop-3', 'v3', 'gate-failed', 3),
      loop('loop-2', 'v2', 'gate-failed', 2),
      loop('loop-5', 'v1', 'unchanged', 5),
      loop('loop-6', null, 'failed', 6),
      loop('loop-7', 'v4', undefined, 7),
      { ...loop('train', 'v5', 'promoted', 8), kind: 'soft-training' },
    ]);
    expect(Object.fromEntries(outcomes)).toEqual({
      v1: { outcome: 'promoted', run: 'loop-1' },
      v2: { outcome: 'gate-failed', run: 'loop-2' },
      v3: { outcome: 'rolled-back', run: 'loop-4' },
    });
    expect(turnedAway('promoted')).toBe(false);
    expect(turnedAway('gate-failed')).toBe(true);
  });
});
