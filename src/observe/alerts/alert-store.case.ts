// The AlertStateStore conformance suite: every store (memory, registry on SQLite and on Postgres) must
// pass it unchanged. Covers statuses replaced per rule, values that are absent or fractional, epoch-ms
// times as numbers, event history newest first with rule filter and limit, concurrent writes, and an
// evaluator resuming from the store after a restart without notifying again.
import { describe, expect, it } from 'vitest';
import { AlertEvaluator } from './alert-evaluator.js';
import { parseAlertRules } from './alert-rules.js';
import type { AlertEvent, AlertStateStore, AlertStatus, MetricReading } from './alert-types.js';

const at = Date.parse('2025-03-04T05:06:07.089Z');

function status(rule: string, changes: Partial<AlertStatus> = {}): AlertStatus {
  return { rule, state: 'ok', since: at, value: 0.125, count: 7, evaluatedAt: at + 1, ...changes };
}

function event(rule: string, changes: Partial<AlertEvent> = {}): AlertEvent {
  return {
    rule,
    state: 'firing',
    value: 0.3333333333333333,
    count: 12,
    threshold: 0.05,
    at,
    severity: 'warning',
    ...changes,
  };
}

/** Runs the suite against stores made by `open` (each call: a fresh, empty store). */
export function alertStoreConformance(name: string, open: () => Promise<AlertStateStore>): void {
  describe(`alert store conformance: ${name}`, () => {
    it('starts empty', async () => {
      const store = await open();
      expect(await store.load()).toEqual([]);
      expect(await store.history({})).toEqual([]);
    });

    it('keeps one status per rule, the latest saved, with every field as it was', async () => {
      const store = await open();
      await store.save(status('a'));
      await store.save(status('b', { state: 'pending', value: undefined, count: 0 }));
      await store.save(status('a', { state: 'firing', since: at + 5, value: -2.5e-7, evaluatedAt: at + 6 }));
      await store.save(status('c', { error: 'request log unavailable' }));
      const loaded = [...(await store.load())].sort((x, y) => x.rule.localeCompare(y.rule));
      expect(loaded).toEqual([
        status('a', { state: 'firing', since: at + 5, value: -2.5e-7, evaluatedAt: at + 6 }),
        status('b', { state: 'pending', value: undefined, count: 0 }),
        status('c', { error: 'request log unavailable' }),
      ]);
      for (const kept of loaded) {
        expect(typeof kept.since).toBe('number');
        expect(typeof kept.evaluatedAt).toBe('number');
        expect(typeof kept.count).toBe('number');
      }
      // absent, not null: callers test `value === undefined` and `error === undefined`
      const b = loaded[1];
      expect(b.value).toBeUndefined();
      expect(b.error).toBeUndefined();
    });

    it('clears an error when a status without one is saved', async () => {
      const store = await open();
      await store.save(status('a', { error: 'timeout' }));
      await store.save(status('a', { evaluatedAt: at + 30_000 }));
      const [loaded] = await store.load();
      expect(loaded.error).toBeUndefined();
      expect(loaded.evaluatedAt).toBe(at + 30_000);
    });

    it('keeps events newest first, by rule, at most `limit`', async () => {
      const store = await open();
      await store.record(event('a', { at }));
      await store.record(event('b', { at: at + 1000, severity: 'critical' }));
      await store.record(event('a', { state: 'resolved', at: at + 2000, value: undefined, count: 0 }));
      await store.record(event('a', { at: at + 3000, detail: { feature: 'length', statistic: 0.42 } }));
      const all = await store.history({});
      expect(all.map((kept) => [kept.rule, kept.at])).toEqual([
        ['a', at + 3000],
        ['a', at + 2000],
        ['b', at + 1000],
        ['a', at],
      ]);
      expect(all[0]).toEqual(event('a', { at: at + 3000, detail: { feature: 'length', statistic: 0.42 } }));
      expect(all[1]).toEqual(event('a', { state: 'resolved', at: at + 2000, value: undefined, count: 0 }));
      expect(all[1].value).toBeUndefined();
      expect(all[1].detail).toBeUndefined();
      expect(all[2]).toEqual(event('b', { at: at + 1000, severity: 'critical' }));
      expect(typeof all[3].at).toBe('number');
      expect((await store.history({ rule: 'a', limit: 2 })).map((kept) => kept.at)).toEqual([
        at + 3000,
        at + 2000,
      ]);
      expect(await store.history({ rule: 'b' })).toEqual([
        event('b', { at: at + 1000, severity: 'critical' }),
      ]);
      expect(await store.history({ rule: 'none' })).toEqual([]);
    });

    it('orders events of the same instant by when they were recorded, newest first', async () => {
      const store = await open();
      await store.record(event('a', { state: 'firing' }));
      await store.record(event('a', { state: 'resolved' }));
      expect((await store.history({ rule: 'a' })).map((kept) => kept.state)).toEqual(['resolved', 'firing']);
    });

    it('returns at most 100 events by default', async () => {
      const store = await open();
      for (let i = 0; i < 105; i++) await store.record(event('a', { at: at + i }));
      const history = await store.history({});
      expect(history).toHaveLength(100);
      expect(history[0].at).toBe(at + 104);
    });

    it('keeps every write made at once', async () => {
      const store = await open();
      const rules = Array.from({ length: 20 }, (_, i) => `rule-${i}`);
      await Promise.all([
        ...rules.map((rule, i) => store.save(status(rule, { count: i }))),
        ...rules.map((rule) => store.record(event(rule))),
      ]);
      const loaded = await store.load();
      expect(loaded.map((kept) => kept.rule).sort()).toEqual([...rules].sort());
      expect(loaded.find((kept) => kept.rule === 'rule-7')?.count).toBe(7);
      expect(await store.history({ limit: 50 })).toHaveLength(20);
    });

    it('moves a rule only from the state given, with its event; of moves made at once, one lands', async () => {
      const store = await open();
      const firing = status('a', { state: 'firing' });
      expect(await store.transition(firing, 'pending', event('a'))).toBe(false); // none stored reads as ok
      expect(await store.history({})).toEqual([]);
      const moves = await Promise.all(
        Array.from({ length: 6 }, () => store.transition(firing, 'ok', event('a'))),
      );
      expect(moves.filter(Boolean)).toHaveLength(1);
      expect(await store.history({})).toHaveLength(1);
      expect(await store.load()).toEqual([firing]);
      // a stored state moves the same way: resolved once
      const resolved = status('a', { since: at + 9 });
      const resolutions = await Promise.all(
        Array.from({ length: 6 }, () =>
          store.transition(resolved, 'firing', event('a', { state: 'resolved' })),
        ),
      );
      expect(resolutions.filter(Boolean)).toHaveLength(1);
      expect((await store.history({})).map((kept) => kept.state)).toEqual(['resolved', 'firing']);
      expect(await store.transition(status('a', { count: 9 }), 'ok')).toBe(true); // no event
      expect(await store.history({})).toHaveLength(2);
    });

    it('forgets a rule only while it is in the state given, recording its event once', async () => {
      const store = await open();
      await store.save(status('gone', { state: 'firing' }));
      expect(await store.forget('gone', 'ok')).toBe(false);
      const forgotten = await Promise.all(
        Array.from({ length: 4 }, () => store.forget('gone', 'firing', event('gone', { state: 'resolved' }))),
      );
      expect(forgotten.filter(Boolean)).toHaveLength(1);
      expect(await store.load()).toEqual([]);
      expect((await store.history({})).map((kept) => kept.state)).toEqual(['resolved']);
    });

    it('lets a restarted evaluator resume: firing stays firing without a second notification', async () => {
      const store = await open();
      const rules = parseAlertRules(
        'rules: [{ name: errors, metric: error_rate, window: 5m, comparison: ">", threshold: 0.1 }]',
        'alerts.yaml',
      );
      let reading: MetricReading = { value: 0.5, count: 30 };
      const metrics = { read: async () => reading };
      const notified: string[] = [];
      const evaluator = (now: number) =>
        new AlertEvaluator({
          rules,
          metrics,
          store,
          deliver: ({ event }) => notified.push(event.state),
          now: () => now,
        });
      await evaluator(at).evaluate();
      const restarted = evaluator(at + 30_000);
      expect((await restarted.evaluate())[0]).toMatchObject({ previous: 'firing', state: 'firing' });
      expect(restarted.statuses()[0]).toMatchObject({ state: 'firing', since: at });
      reading = { value: 0.01, count: 30 };
      await restarted.evaluate();
      expect(notified).toEqual(['firing', 'resolved']);
      expect((await store.history({ rule: 'errors' })).map((kept) => kept.state)).toEqual([
        'resolved',
        'firing',
      ]);
    });
  });
}
