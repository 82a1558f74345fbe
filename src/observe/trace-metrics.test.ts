// The alert metrics over a real SQLite registry, against the same numbers computed from the traces:
// percentiles (through the store's scan), error rate, tokens, cost and score means, the service's
// traffic only (an evaluation's traced calls are left out).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { percentile } from '../eval/index.js';
import { Registry } from '../registry/index.js';
import { sampleTrace } from '../registry/traces.case.js';
import { taskSpec } from '../tasks/index.js';
import { TraceMetricSource } from './trace-metrics.js';

describe('TraceMetricSource', () => {
  it('reads each metric over a window of the service’s traces', async () => {
    const registry = await Registry.open({
      path: join(mkdtempSync(join(tmpdir(), 'promptune-metrics-')), 'r.sqlite'),
    });
    const traces = Array.from({ length: 200 }, (_, index) =>
      sampleTrace({
        id: `m-${index}`,
        at: 1000 + index,
        latencyMs: 5 + ((index * 37) % 101),
        firstTokenMs: index % 2 ? 2 + (index % 13) : null,
        errorCode: index % 10 === 0 ? 'INTERNAL' : null,
        cost: 0.5,
      }),
    );
    await registry.putTask(taskSpec.parse({ name: 'qa', prompt: { template: '{{input}}' } }));
    await registry.traces.insert([
      ...traces,
      sampleTrace({ id: 'eval', source: 'eval', at: 1100, latencyMs: 1e6 }),
    ]);
    await registry.scores.add({ traceId: 'm-1', name: 'helpful', value: true, source: 'feedback' });
    await registry.scores.add({ traceId: 'm-2', name: 'helpful', value: false, source: 'feedback' });
    const source = new TraceMetricSource(registry);
    const read = (metric: Parameters<TraceMetricSource['read']>[0]['metric'], score?: string) =>
      source.read({ metric, score, task: 'qa', since: 1000, until: 1200 });
    const latencies = traces.map((trace) => trace.latencyMs);
    const firstTokens = traces.flatMap((trace) => (trace.firstTokenMs === null ? [] : [trace.firstTokenMs]));
    expect((await read('latency_p50')).value).toBeCloseTo(percentile(latencies, 50)!, 9);
    expect(await read('latency_p99')).toEqual({
      value: expect.closeTo(percentile(latencies, 99)!, 9),
      count: 200,
    });
    expect(await read('ttft_p95')).toEqual({
      value: expect.closeTo(percentile(firstTokens, 95)!, 9),
      count: 100,
    });
    expect(await read('error_rate')).toEqual({ value: 0.1, count: 200 });
    expect(await read('requests')).toEqual({ value: 200, count: 200 });
    expect(await read('tokens')).toEqual({ value: 200 * 15, count: 200 });
    expect(await read('cost')).toEqual({ value: 100, count: 200 });
    expect(await read('score_mean', 'helpful')).toEqual({ value: 0.5, count: 2 });
    await expect(read('drift')).rejects.toThrow(/no drift reader/);
    // a rule on a task or label the registry lacks is an error naming it, not a quiet window
    await expect(source.read({ metric: 'requests', task: 'qb', since: 1000, until: 1200 })).rejects.toThrow(
      'there is no task named qb (did you mean qa?)',
    );
    await expect(
      source.read({ metric: 'requests', task: 'qa', label: 'canary', since: 1000, until: 1200 }),
    ).rejects.toThrow('task qa has no label canary');
    await registry.close();
  });
});
