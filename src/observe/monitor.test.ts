// The monitor's aggregates over a real registry (SQLite, and Postgres where installed) checked against
// the same numbers computed directly from the traces: counts, errors by code, latency percentiles per
// group and per window, tokens, cost, and score means with their intervals (and per window).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describePostgres } from '../../test/registry-postgres.js';
import { percentile } from '../eval/index.js';
import { Registry } from '../registry/index.js';
import { sampleTrace } from '../registry/traces.case.js';
import { meanInterval, monitor } from './monitor.js';

const hour = 3_600_000;
const start = Date.parse('2026-12-01T00:00:00Z');

function monitorCases(name: string, open: () => Promise<Registry>) {
  describe(`monitor: ${name}`, () => {
    it('reads every trace once across scan chunks, ties at a chunk’s edge and one crowded instant included', async () => {
      const registry = await open();
      const crowded = Array.from({ length: 25_000 }, (_, index) =>
        sampleTrace({ id: `c-${index}`, at: start }),
      );
      const tied = Array.from({ length: 45_000 }, (_, index) =>
        sampleTrace({ id: `t-${index}`, at: start + 1 + Math.floor(index / 7) }),
      );
      await registry.traces.insert([...crowded, ...tied]);
      await registry.traces.insert([sampleTrace({ id: 'evaluation', source: 'eval', at: start + 5 })]);
      const report = await monitor(registry, { since: start, until: start + hour });
      expect(report.groups.map((group) => group.requests)).toEqual([70_000]);
      expect(report.groups[0].series.reduce((sum, point) => sum + point.requests, 0)).toBe(70_000);
      const evaluations = await monitor(registry, { since: start, until: start + hour, source: 'eval' });
      expect(evaluations.groups.map((group) => group.requests)).toEqual([1]);
      await registry.close();
    }, 60_000);

    it('aggregates per task, version and label, and per window', async () => {
      const registry = await open();
      const latencies: Record<string, number[]> = { a: [], b: [] };
      const traces = Array.from({ length: 600 }, (_, index) => {
        const version = index % 3 === 0 ? 'b' : 'a';
        const latencyMs = 5 + ((index * 37) % 101) + (version === 'b' ? 50 : 0);
        latencies[version].push(latencyMs);
        return sampleTrace({
          id: `m-${index}`,
          at: start + index * 30_000, // 600 traces over 5 hours
          version,
          label: version === 'b' ? 'canary' : 'production',
          latencyMs,
          firstTokenMs: index % 2 === 0 ? latencyMs / 2 : null,
          inputTokens: 10,
          outputTokens: 2,
          cost: 0.001,
          errorCode: index % 50 === 0 ? 'CONTEXT_OVERFLOW' : index % 70 === 0 ? 'INTERNAL' : null,
          status: index % 50 === 0 ? 400 : index % 70 === 0 ? 500 : 200,
        });
      });
      await registry.traces.insert([...traces, sampleTrace({ id: 'other', task: 'other', at: start })]);
      for (const [index, value] of [1, 1, 0, 1].entries())
        await registry.scores.add({
          traceId: `m-${index * 3 + 1}`,
          name: 'helpful',
          value: value === 1,
          source: 'feedback',
        });
      for (const [index, value] of [2, 4, 5].entries())
        await registry.scores.add({
          traceId: `m-${index * 3 + 2}`,
          name: 'stars',
          value,
          source: 'feedback',
        });
      // a numeric score of 0s and 1s (an exact-match metric): a share, whose interval stays in [0, 1]
      for (const [index, value] of [1, 0, 0].entries())
        await registry.scores.add({
          traceId: `m-${13 + index * 3}`, // version a's
          name: 'exact',
          value,
          source: 'feedback',
        });
      // three 1-star ratings of a 1-to-5 score are not a share: Student's t (no spread: [1, 1])
      await registry.scores.setConfig({ name: 'rating', kind: 'numeric', minimum: 1, maximum: 5 });
      for (const index of [0, 1, 2])
        await registry.scores.add({
          traceId: `m-${13 + index * 3}`,
          name: 'rating',
          value: 1,
          source: 'feedback',
        });
      // a score in the first window and one in the third: each window carries its own mean
      for (const [traceId, value] of [
        ['m-4', true],
        ['m-241', false],
      ] as const)
        await registry.scores.add({ traceId, name: 'on-topic', value, source: 'feedback' });
      const report = await monitor(registry, { task: 'qa', since: start, until: start + 5 * hour });
      expect(report.window).toBe('hour');
      expect(report.groups.map((group) => group.version)).toEqual(['a', 'b']);
      const [a, b] = report.groups;
      expect(a.requests).toBe(400);
      expect(b.requests).toBe(200);
      const errorsOf = (version: string, code: string) =>
        traces.filter((trace) => trace.version === version && trace.errorCode === code).length;
      expect(a.errors).toEqual({
        CONTEXT_OVERFLOW: errorsOf('a', 'CONTEXT_OVERFLOW'),
        INTERNAL: errorsOf('a', 'INTERNAL'),
      });
      expect(a.errorRate).toBeCloseTo(
        (errorsOf('a', 'CONTEXT_OVERFLOW') + errorsOf('a', 'INTERNAL')) / 400,
        12,
      );
      for (const [group, values] of [
        [a, latencies.a],
        [b, latencies.b],
      ] as const) {
        expect(group.latencyMs!.p50).toBeCloseTo(percentile(values, 50)!, 9);
        expect(group.latencyMs!.p95).toBeCloseTo(percentile(values, 95)!, 9);
        expect(group.latencyMs!.p99).toBeCloseTo(percentile(values, 99)!, 9);
      }
      expect(a.tokens).toEqual({ input: 4000, output: 800 });
      expect(a.cost).toBeCloseTo(0.4, 9);
      expect(a.series).toHaveLength(5);
      expect(a.series.map((point) => point.requests)).toEqual([80, 80, 80, 80, 80]);
      const firstHour = traces
        .filter((trace) => trace.version === 'a' && trace.at < start + hour)
        .map((trace) => trace.latencyMs);
      expect(a.series[0].latencyP50).toBeCloseTo(percentile(firstHour, 50)!, 9);
      expect(a.series[0].latencyP95).toBeCloseTo(percentile(firstHour, 95)!, 9);
      expect(a.series[0].latencyP99).toBeCloseTo(percentile(firstHour, 99)!, 9);
      // each window's cost adds up to the group's
      expect(a.series.reduce((sum, point) => sum + point.cost!, 0)).toBeCloseTo(a.cost!, 9);
      expect(a.series[0].cost).toBeGreaterThan(0);
      expect(a.scores.helpful).toMatchObject({
        kind: 'boolean',
        count: 4,
        mean: 0.75,
        ...pick(meanInterval('boolean', 4, 3, 3)),
      });
      expect(a.scores.stars).toMatchObject({ kind: 'numeric', count: 3 });
      const stars = a.scores.stars as { mean: number; low: number; high: number };
      expect(stars.mean).toBeCloseTo(11 / 3, 12);
      // t(2 df) = 4.303, sd = sqrt(7/3)
      expect(stars.high - stars.mean).toBeCloseTo(4.303 * Math.sqrt(7 / 3 / 3), 6);
      expect(a.scores.exact).toMatchObject({
        kind: 'numeric',
        count: 3,
        ...pick(meanInterval('boolean', 3, 1, 1)),
      });
      expect((a.scores.exact as { low: number }).low).toBeGreaterThan(0);
      expect(a.scores.rating).toMatchObject({ kind: 'numeric', count: 3, mean: 1, low: 1, high: 1 });
      // per window: the first hour holds every helpful and stars score, on-topic is split 1 and 1
      expect(a.series[0].scores).toEqual({
        helpful: { mean: 0.75, count: 4 },
        stars: { mean: 11 / 3, count: 3 },
        exact: { mean: 1 / 3, count: 3 },
        rating: { mean: 1, count: 3 },
        'on-topic': { mean: 1, count: 1 },
      });
      expect(a.series[1].scores).toEqual({});
      expect(a.series[2].scores).toEqual({ 'on-topic': { mean: 0, count: 1 } });
      expect(a.scores['on-topic']).toMatchObject({ kind: 'boolean', count: 2, mean: 0.5 });
      expect(
        (await monitor(registry, { since: start, until: start + 5 * hour, window: 'minute' })).groups,
      ).toHaveLength(3);
      await registry.close();
    });
  });
}

const pick = (interval: { low: number; high: number }) => ({ low: interval.low, high: interval.high });

it('gives Wilson intervals for shares and t intervals for means', () => {
  // Wilson 95% for 3 of 4: [0.3006, 0.9544]
  const wilson = meanInterval('boolean', 4, 3, 3);
  expect(wilson.low).toBeCloseTo(0.3006, 4);
  expect(wilson.high).toBeCloseTo(0.9544, 4);
  expect(meanInterval('numeric', 1, 5, 25)).toEqual({ mean: 5, low: 5, high: 5 });
  // 60 values of mean 0 and variance 1: t(59) = 2.0010
  const wide = meanInterval('numeric', 60, 0, 59);
  expect(wide.high).toBeCloseTo(2.001 / Math.sqrt(60), 4);
});

monitorCases('SQLite', () =>
  Registry.open({ path: join(mkdtempSync(join(tmpdir(), 'promptune-monitor-')), 'r.sqlite') }),
);
describePostgres('monitor on PostgreSQL', (freshDatabase) => {
  monitorCases('Postgres', async () => Registry.open({ url: await freshDatabase() }));
});
