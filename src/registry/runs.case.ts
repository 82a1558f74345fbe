// The run store's conformance suite: the registry on SQLite and on Postgres must pass it unchanged.
// Covers runs round-tripping every field, progress as a heartbeat and a stale heartbeat read as
// interrupted, entries replaced by position and paged with a pass/fail filter, finishing once, listing
// newest first with filters and cursors, concurrent appends, and refusals that leave nothing behind.
import { describe, expect, it } from 'vitest';
import type { Registry } from './registry.js';
import { staleAfterMs, type RunEntry } from './runs.js';

const at = Date.parse('2026-12-02T03:00:00.000Z');

const example = (position: number, passed: boolean): RunEntry => ({
  kind: 'example',
  position,
  score: passed ? 1 : 0,
  passed,
  data: { input: `input ${position}`, expected: 'yes', output: passed ? 'yes' : 'no', latencyMs: 12.5 },
});

/** Runs the suite against registries made by `open` (each call: a fresh, empty database). */
export function runConformance(name: string, open: () => Promise<Registry>): void {
  describe(`run store conformance: ${name}`, () => {
    it('starts a run and reads every field back', async () => {
      const registry = await open();
      try {
        const started = await registry.runs.start({
          id: 'run-1',
          kind: 'evaluation',
          task: 'sentiment',
          version: 'v'.repeat(12),
          datasets: ['dataset-a', 'dataset-b'],
          config: {
            model: 'openai:gpt-4o-mini',
            repeats: 3,
            temperature: 0.25,
            nested: { list: [1, 'two'] },
          },
          actor: 'ada',
          progress: { done: 0, total: 200 },
          at,
        });
        expect(started.status).toBe('running');
        expect(await registry.runs.get('run-1', at)).toEqual({
          id: 'run-1',
          kind: 'evaluation',
          task: 'sentiment',
          version: 'v'.repeat(12),
          datasets: ['dataset-a', 'dataset-b'],
          status: 'running',
          config: {
            model: 'openai:gpt-4o-mini',
            repeats: 3,
            temperature: 0.25,
            nested: { list: [1, 'two'] },
          },
          summary: null,
          progress: { done: 0, total: 200 },
          actor: 'ada',
          startedAt: at,
          heartbeatAt: at,
          finishedAt: null,
          error: null,
        });
        const generated = await registry.runs.start({
          kind: 'soft-training',
          task: 'name',
          actor: 'ada',
          at,
        });
        expect(generated.id).toMatch(/^run-\d+-[0-9a-f]{6}$/);
      } finally {
        await registry.close();
      }
    });

    it('records progress as a heartbeat; a run whose heartbeat goes stale reads as interrupted', async () => {
      const registry = await open();
      try {
        await registry.runs.start({ id: 'run-2', kind: 'optimization', task: 't', actor: 'ada', at });
        await registry.runs.progress('run-2', { done: 3, total: 10, message: 'trial 3' }, at + 5_000);
        const alive = await registry.runs.get('run-2', at + 5_000 + staleAfterMs);
        expect(alive).toMatchObject({ status: 'running', heartbeatAt: at + 5_000 });
        expect(alive.progress).toEqual({ done: 3, total: 10, message: 'trial 3' });
        const later = at + 5_000 + staleAfterMs + 1;
        expect((await registry.runs.get('run-2', later)).status).toBe('interrupted');
        const interrupted = await registry.runs.list({ status: 'interrupted' }, { now: later });
        expect(interrupted.data.map((run) => run.id)).toEqual(['run-2']);
        expect((await registry.runs.list({ status: 'running' }, { now: later })).data).toEqual([]);
        // a heartbeat brings it back
        await registry.runs.heartbeat('run-2', later);
        expect((await registry.runs.get('run-2', later)).status).toBe('running');
      } finally {
        await registry.close();
      }
    });

    it('keeps entries by position, replacing one written again, in pages with a pass/fail filter', async () => {
      const registry = await open();
      try {
        await registry.runs.start({ id: 'run-3', kind: 'evaluation', task: 't', actor: 'ada', at });
        const entries = Array.from({ length: 1_000 }, (_, position) => example(position, position % 3 !== 0));
        await registry.runs.append('run-3', entries.slice(0, 600), at + 1);
        await registry.runs.append('run-3', entries.slice(500), at + 2); // 500..599 again: replaced
        await registry.runs.append('run-3', [{ ...example(7, true), data: { rewritten: true } }], at + 3);
        const first = await registry.runs.entries('run-3', 'example', { limit: 10 });
        expect(first.data.map((entry) => entry.position)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(first.data[7]).toEqual({
          kind: 'example',
          position: 7,
          score: 1,
          passed: true,
          data: { rewritten: true },
        });
        expect(first.data[1]).toEqual(example(1, true));
        expect(first.next).toBe(9);
        let count = 0;
        let after: number | undefined;
        do {
          const page = await registry.runs.entries('run-3', 'example', { passed: false, limit: 97, after });
          for (const entry of page.data) expect(entry.passed).toBe(false);
          count += page.data.length;
          after = page.next;
        } while (after !== undefined);
        expect(count).toBe(334); // positions 0, 3, …, 999
        const all = await registry.runs.allEntries('run-3', 'example');
        expect(all.map((entry) => entry.position)).toEqual(entries.map((entry) => entry.position));
        expect((await registry.runs.entries('run-3', 'step')).data).toEqual([]);
        expect((await registry.runs.get('run-3', at + 3)).heartbeatAt).toBe(at + 3);
      } finally {
        await registry.close();
      }
    });

    it('finishes once, with its summary, the version it produced and the datasets it used', async () => {
      const registry = await open();
      try {
        await registry.runs.start({
          id: 'run-4',
          kind: 'soft-training',
          task: 't',
          actor: 'ada',
          at,
          datasets: ['d'.repeat(12)],
        });
        await registry.runs.append('run-4', [
          { kind: 'step', position: 0, score: null, passed: null, data: { loss: 2.5 } },
        ]);
        const finished = await registry.runs.finish(
          'run-4',
          {
            status: 'completed',
            summary: { devExactMatch: 0.961 },
            version: 'a'.repeat(12),
            datasets: ['e'.repeat(12), 'f'.repeat(12)],
          },
          at + 60_000,
        );
        expect(finished).toMatchObject({
          status: 'completed',
          summary: { devExactMatch: 0.961 },
          version: 'a'.repeat(12),
          datasets: ['e'.repeat(12), 'f'.repeat(12)],
          finishedAt: at + 60_000,
        });
        // a finish that names none keeps the datasets the run started with
        await registry.runs.start({
          id: 'run-4b',
          kind: 'evaluation',
          task: 't',
          actor: 'ada',
          at,
          datasets: ['d'],
        });
        expect((await registry.runs.finish('run-4b', { status: 'completed' })).datasets).toEqual(['d']);
        // an ended run never reads as interrupted, and is not written again
        expect((await registry.runs.get('run-4', at + 10 * staleAfterMs)).status).toBe('completed');
        for (const write of [
          () => registry.runs.progress('run-4', { done: 1, total: 1 }),
          () => registry.runs.append('run-4', [example(0, true)]),
          () => registry.runs.finish('run-4', { status: 'failed', error: 'late' }),
        ])
          await expect(write()).rejects.toMatchObject({ code: 'RUN_ENDED' });
        const failed = await registry.runs.start({
          id: 'run-5',
          kind: 'evaluation',
          task: 't',
          actor: 'ada',
          at,
        });
        expect(failed.status).toBe('running');
        expect(
          await registry.runs.finish('run-5', { status: 'failed', error: 'provider down' }, at + 1),
        ).toMatchObject({ status: 'failed', error: 'provider down', summary: null });
      } finally {
        await registry.close();
      }
    });

    it('lists runs newest first, filtered, in pages', async () => {
      const registry = await open();
      try {
        for (let index = 0; index < 7; index++)
          await registry.runs.start({
            id: `run-list-${index}`,
            kind: index % 2 === 0 ? 'evaluation' : 'optimization',
            task: index < 4 ? 'alpha' : 'beta',
            actor: 'ada',
            at: at + Math.floor(index / 2) * 1_000, // two runs share each time but the last
          });
        await registry.runs.finish('run-list-6', { status: 'completed' }, at + 4_000);
        const seen: string[] = [];
        let after: string | undefined;
        do {
          const page = await registry.runs.list({}, { limit: 3, after, now: at + 5_000 });
          seen.push(...page.data.map((run) => run.id));
          after = page.next;
        } while (after !== undefined);
        expect(seen).toEqual([
          'run-list-6',
          'run-list-5',
          'run-list-4',
          'run-list-3',
          'run-list-2',
          'run-list-1',
          'run-list-0',
        ]);
        const ids = async (filter: Parameters<Registry['runs']['list']>[0]) =>
          (await registry.runs.list(filter, { now: at + 5_000 })).data.map((run) => run.id);
        expect(await ids({ task: 'alpha', kind: 'evaluation' })).toEqual(['run-list-2', 'run-list-0']);
        expect(await ids({ status: 'completed' })).toEqual(['run-list-6']);
        await expect(registry.runs.list({}, { after: 'not a cursor' })).rejects.toMatchObject({
          code: 'RUN_BAD_CURSOR',
        });
      } finally {
        await registry.close();
      }
    });

    it('keeps concurrent appends to one run', async () => {
      const registry = await open();
      try {
        await registry.runs.start({ id: 'run-6', kind: 'evaluation', task: 't', actor: 'ada', at });
        await Promise.all(
          Array.from({ length: 8 }, (_, writer) =>
            registry.runs.append(
              'run-6',
              Array.from({ length: 25 }, (_, index) => example(writer * 25 + index, true)),
            ),
          ),
        );
        const page = await registry.runs.entries('run-6', 'example', { limit: 1_000 });
        expect(page.data.map((entry) => entry.position)).toEqual(Array.from({ length: 200 }, (_, i) => i));
      } finally {
        await registry.close();
      }
    });

    it('refuses bad input with a code and stores nothing', async () => {
      const registry = await open();
      try {
        const start = { kind: 'evaluation' as const, task: 't', actor: 'ada', at };
        await registry.runs.start({ ...start, id: 'run-7' });
        await expect(registry.runs.start({ ...start, id: 'run-7' })).rejects.toMatchObject({
          code: 'RUN_EXISTS',
        });
        await expect(registry.runs.start({ ...start, id: 'not a run id' })).rejects.toMatchObject({
          code: 'RUN_INVALID',
        });
        await expect(
          registry.runs.start({ ...start, id: 'run-8', config: { temperature: Number.NaN } }),
        ).rejects.toMatchObject({ code: 'RUN_INVALID' });
        await expect(
          registry.runs.start({ ...start, id: 'run-9', kind: 'experiment' as never }),
        ).rejects.toMatchObject({ code: 'RUN_INVALID' });
        await expect(
          registry.runs.append('run-7', [
            example(0, true),
            { ...example(1, true), score: Number.POSITIVE_INFINITY },
          ]),
        ).rejects.toMatchObject({ code: 'RUN_INVALID' });
        await expect(
          registry.runs.append('run-7', [{ ...example(0, true), position: -1 }]),
        ).rejects.toMatchObject({
          code: 'RUN_INVALID',
        });
        expect((await registry.runs.entries('run-7', 'example')).data).toEqual([]);
        await expect(registry.runs.finish('run-7', { status: 'running' as never })).rejects.toMatchObject({
          code: 'RUN_INVALID',
        });
        for (const read of [
          () => registry.runs.get('run-missing'),
          () => registry.runs.progress('run-missing', { done: 0, total: null }),
          () => registry.runs.append('run-missing', [example(0, true)]),
          () => registry.runs.finish('run-missing', { status: 'completed' }),
          () => registry.runs.entries('run-missing', 'example'),
        ])
          await expect(read()).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
        expect((await registry.runs.list({}, { now: at })).data.map((run) => run.id)).toEqual(['run-7']);
      } finally {
        await registry.close();
      }
    });
  });
}
