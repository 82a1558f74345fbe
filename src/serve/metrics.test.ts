// The guard counter keeps series for a task's 16 most recently checked versions: a loop that re-tunes
// often would otherwise add a version's series to every scrape for good.
import { describe, expect, it } from 'vitest';
import { ServiceMetrics } from './metrics.js';

const series = (text: string, task: string) =>
  [...text.matchAll(new RegExp(`promptune_guard_checks_total\\{task="${task}",version="(\\d+)"`, 'g'))].map(
    (match) => Number(match[1]),
  );

describe('ServiceMetrics guard verdicts', () => {
  it("keeps each task's 16 most recently checked versions, every validator and outcome of each", async () => {
    const metrics = new ServiceMetrics();
    const check = (task: string, version: number, outcome = 'passed') =>
      metrics.countGuardCheck({ task, version: String(version), validator: 'pii', outcome });
    for (let version = 1; version <= 16; version++) check('name', version);
    check('name', 1, 'fixed'); // version 1 checked again: now the most recent
    check('other', 1);
    check('name', 17);
    const text = await metrics.registry.metrics();
    // version 2 left, the least recently checked; version 1's two outcomes stay; the other task is its own
    expect(new Set(series(text, 'name'))).toEqual(
      new Set([1, ...Array.from({ length: 15 }, (_, i) => i + 3)]),
    );
    expect(series(text, 'name').filter((version) => version === 1)).toHaveLength(2);
    expect(series(text, 'other')).toEqual([1]);
    // a version checked again after it left starts from zero
    check('name', 2);
    expect(await metrics.registry.metrics()).toContain(
      'promptune_guard_checks_total{task="name",version="2",validator="pii",outcome="passed"} 1',
    );
  });
});
