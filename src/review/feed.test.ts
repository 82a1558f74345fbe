// Feeding a queue from real stored traces (SQLite): a failed check, negative feedback (a boolean score
// false, a numeric one below the threshold) and a seeded sample each queue their traces with the rule as
// the reason; errors, other tasks, traces outside the window and traces already queued are not queued;
// bad rules are refused with a code before any queue exists.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTask } from '../tasks/index.js';
import { Registry, registerTask } from '../registry/index.js';
import { sampleTrace } from '../registry/traces.case.js';
import { createReviewQueue, feedQueue, sampled } from './feed.js';

const start = Date.parse('2026-12-02T00:00:00Z');
const hour = 3_600_000;
let registry: Registry;

beforeAll(async () => {
  registry = await Registry.open({ path: join(mkdtempSync(join(tmpdir(), 'promptune-feed-')), 'r.sqlite') });
  const task = loadTask(join(import.meta.dirname, '..', '..', 'examples', 'name.yaml'));
  await registerTask(registry, task);
  const traces = Array.from({ length: 200 }, (_, index) =>
    sampleTrace({
      id: `trace-${index}`,
      at: start + index * 1000,
      task: 'name',
      operation: 'run',
      input: { input: `story ${index}` },
      output: `answer ${index}`,
      checks:
        index === 5
          ? [{ validator: 'labels', stage: 'output', attempt: 0, passed: false, action: 'fix' }]
          : [],
      errorCode: index === 7 ? 'CONTEXT_OVERFLOW' : null,
      // the engine's first-token margin: low on a few traces, unknown (another backend) on others
      confidence: index % 50 === 3 ? 0.2 : index % 50 === 4 ? null : 3 + (index % 7),
      status: index === 7 ? 400 : 200,
    }),
  );
  traces.push(sampleTrace({ id: 'other-task', at: start, task: 'animal' }));
  traces.push(sampleTrace({ id: 'too-late', at: start + 2 * hour, task: 'name' }));
  await registry.traces.insert(traces);
  await registry.scores.add({ traceId: 'trace-10', name: 'helpful', value: false, source: 'feedback' });
  await registry.scores.add({ traceId: 'trace-11', name: 'helpful', value: true, source: 'feedback' });
  await registry.scores.add({ traceId: 'trace-12', name: 'stars', value: 1, source: 'feedback' });
  await registry.scores.add({ traceId: 'trace-13', name: 'stars', value: 4, source: 'feedback' });
});

afterAll(async () => {
  await registry?.close();
});

describe('feedQueue', () => {
  it('queues what the rules match, once, with the rule as the reason', async () => {
    await createReviewQueue(registry, {
      name: 'name-review',
      task: 'name',
      actor: 'ada',
      config: {
        rules: [
          { kind: 'check-failure' },
          { kind: 'negative-feedback', score: 'helpful' },
          { kind: 'negative-feedback', score: 'stars', below: 3 },
          { kind: 'sample', rate: 0.05, seed: 3 },
        ],
      },
    });
    const window = { since: start, until: start + hour };
    const { added } = await feedQueue(registry, 'name-review', window);
    const sample = Array.from({ length: 200 }, (_, index) => `trace-${index}`).filter(
      (id) => ![5, 7, 10, 12].includes(Number(id.slice(6))) && sampled(id, 0.05, 3),
    );
    expect(sample.length).toBeGreaterThan(2); // the sample is not empty, and not everything
    expect(sample.length).toBeLessThan(30);
    const reasons = Object.fromEntries(added.map((item) => [item.traceId, item.reason]));
    expect(reasons).toEqual({
      'trace-5': 'check-failure:labels',
      'trace-10': 'negative-feedback:helpful',
      'trace-12': 'negative-feedback:stars',
      ...Object.fromEntries(sample.map((id) => [id, 'sample'])),
    });
    const five = added.find((item) => item.traceId === 'trace-5')!;
    expect(five).toMatchObject({
      input: { input: 'story 5' },
      output: 'answer 5',
      context: { label: 'production' },
    });
    expect((await feedQueue(registry, 'name-review', window)).added).toEqual([]); // already queued
  });

  it('queues the answers the engine was unsure of', async () => {
    await createReviewQueue(registry, {
      name: 'unsure',
      task: 'name',
      actor: 'ada',
      config: { rules: [{ kind: 'low-confidence', below: 1 }] },
    });
    // two at most: the newest first, the rest said to be left out
    const limited = await feedQueue(registry, 'unsure', { since: start, until: start + hour }, { limit: 2 });
    expect(limited.added.map((item) => item.traceId)).toEqual(['trace-153', 'trace-103']);
    expect([limited.repeated, limited.overLimit]).toEqual([0, 2]);
    const { added } = await feedQueue(registry, 'unsure', { since: start, until: start + hour });
    const found = [...limited.added, ...added].map((item) => [
      item.traceId,
      item.reason,
      item.context.confidence,
    ]);
    expect(found.sort((a, b) => String(a[0]).localeCompare(String(b[0]), 'en', { numeric: true }))).toEqual(
      [3, 53, 103, 153].map((index) => [`trace-${index}`, 'low-confidence', 0.2]),
    );
    // the same question sent again (another trace, its spaces doubled) is not queued twice
    await registry.traces.insert([
      sampleTrace({
        id: 'again-53',
        at: start + 500_000,
        task: 'name',
        operation: 'run',
        input: { input: 'story  53 ' },
        output: 'answer',
        confidence: 0.1,
      }),
    ]);
    expect(await feedQueue(registry, 'unsure', { since: start, until: start + hour })).toEqual({
      added: [],
      repeated: 1,
      overLimit: 0,
    });
    // another version's answer to it is new to review
    await registry.traces.insert([
      sampleTrace({
        id: 'v2-53',
        at: start + 600_000,
        task: 'name',
        version: 'another-version',
        operation: 'run',
        input: { input: 'story 53' },
        output: 'answer',
        confidence: 0.1,
      }),
    ]);
    const newer = await feedQueue(registry, 'unsure', { since: start, until: start + hour });
    expect(newer.added.map((item) => item.traceId)).toEqual(['v2-53']);
  });

  it('refuses bad rules and unknown tasks before a queue exists', async () => {
    for (const rules of [
      [{ kind: 'vibes' }],
      [{ kind: 'sample', rate: 2 }],
      [{ kind: 'negative-feedback' }],
      [{ kind: 'low-confidence', below: -1 }],
    ])
      await expect(
        createReviewQueue(registry, { name: 'bad', task: 'name', actor: 'ada', config: { rules } as never }),
      ).rejects.toMatchObject({ code: 'REVIEW_INVALID' });
    await expect(
      createReviewQueue(registry, { name: 'bad', task: 'nothing', actor: 'ada' }),
    ).rejects.toMatchObject({
      code: 'REGISTRY_NO_TASK',
    });
    await expect(registry.review.getQueue('bad')).rejects.toMatchObject({ code: 'REVIEW_QUEUE_NOT_FOUND' });
  });
});
