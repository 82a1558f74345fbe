// The monitor's table names versions by number where the registry knows them: after a few canaries one
// label has been served by several versions, and id prefixes do not say which is which.
import { describe, expect, it } from 'vitest';
import type { MonitorGroup } from '../observe/index.js';
import { renderMonitor } from './monitor-table.js';

const group = (version: string, requests: number): MonitorGroup => ({
  task: 'gender',
  version,
  label: 'production',
  requests,
  errors: {},
  errorRate: 0,
  latencyMs: null,
  firstTokenMs: null,
  tokens: { input: 0, output: 0 },
  cost: 0,
  scores: { correct: { kind: 'numeric', mean: 0.85, low: 0.77, high: 0.91, count: requests } },
  series: [],
});

describe('renderMonitor', () => {
  it('names each version by number in the table and the scores', () => {
    const hour = 3_600_000;
    const report = {
      since: 0,
      until: hour,
      window: 'minute' as const,
      groups: [group('45dd184d75f0', 278), group('c5e202f9fa18', 100)],
    };
    const text = renderMonitor(
      report,
      60_000,
      new Map([
        ['45dd184d75f0', 2],
        ['c5e202f9fa18', 5],
      ]),
    );
    expect(text).toMatch(/^gender\s+@2\s+production\s+278 /m);
    expect(text).toMatch(/^gender\s+@5\s+production\s+100 /m);
    expect(text).toContain('scores of gender @5 production:');
    // without the registry's numbers, the id's start
    expect(renderMonitor(report, 60_000)).toMatch(/^gender\s+@45dd184d\s+production/m);
  });
});
