// The conformance suite of traces, scores and alert records: SQLite and Postgres pass it unchanged.
// Covers batched inserts, filters and paging, scores checked against configs and limited to a key's own
// traces, retention by age and count, alert states and history, and the upgrade that folds the old
// sampled request log into traces.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { errorCode as code } from '../../test/error-code.js';
import { loggedDatabase } from '../../test/query-plans.js';
import { migrateToLatest } from './migrations.js';
import type { RegistryLocation } from './open-registry.js';
import { rawDatabase } from './registry-specs.case.js';
import { Registry } from './registry.js';
import { TraceStore, type TraceRecord } from './traces.js';

/** A trace as the service would record it; `overrides` change any field. */
export function sampleTrace(overrides: Partial<TraceRecord> = {}): TraceRecord {
  return {
    id: `chatcmpl-${Math.random().toString(36).slice(2)}`,
    at: Date.parse('2026-12-01T12:00:00Z'),
    source: 'service',
    run: null,
    operation: 'chat',
    model: 'qa@production',
    task: 'qa',
    version: 'a'.repeat(64),
    label: 'production',
    keyId: 'key1',
    user: null,
    input: { messages: [{ role: 'user', content: 'hello' }] },
    output: 'world',
    inputTokens: 12,
    outputTokens: 3,
    cost: null,
    latencyMs: 4.5,
    firstTokenMs: null,
    finishReason: 'stop',
    status: 200,
    errorCode: null,
    errorMessage: null,
    checks: null,
    confidence: null,
    sampling: null,
    ...overrides,
  };
}

/** Runs the suite on registries from `open` (each call: a fresh, empty one); `blank` gives an empty location. */
export function traceConformance(
  name: string,
  open: () => Promise<Registry>,
  blank: () => Promise<RegistryLocation>,
): void {
  describe(`traces conformance: ${name}`, () => {
    it('stores batches, reads them back exactly, filters and pages newest first', async () => {
      const registry = await open();
      const start = Date.parse('2026-12-01T00:00:00Z');
      const traces = Array.from({ length: 950 }, (_, index) =>
        sampleTrace({
          id: `t-${String(index).padStart(4, '0')}`,
          at: start + Math.floor(index / 2) * 1000, // pairs share an instant: paging must not skip or repeat
          task: index % 10 === 0 ? 'other' : 'qa',
          errorCode: index % 25 === 0 ? 'CONTEXT_OVERFLOW' : null,
          status: index % 25 === 0 ? 400 : 200,
          user: index === 7 ? 'user-7' : null,
          cost: index === 7 ? 0.00125 : null,
          firstTokenMs: index === 7 ? 1.25 : null,
          checks: index === 7 ? [{ validator: 'json', passed: true }] : null,
          errorMessage: index % 25 === 0 ? `max_tokens: ${index} is too many` : null,
          confidence: index === 7 ? 2.5 : null,
          sampling:
            index === 7
              ? { temperature: 0.7, topP: null, topK: 40, maxTokens: 64, seed: 1_234_567_890 }
              : null,
        }),
      );
      await registry.traces.insert(traces);
      await registry.traces.insert([{ ...traces[0], output: 'changed' }]); // same id: left as it was
      expect(await registry.traces.count()).toBe(950);
      expect(await registry.traces.get('t-0007')).toEqual({ ...traces[7], scores: [] });
      expect((await registry.traces.get('t-0000')).output).toBe('world');
      expect((await registry.traces.get('t-0025')).errorMessage).toBe('max_tokens: 25 is too many');
      expect(await registry.traces.count({ task: 'other' })).toBe(95);
      expect(await registry.traces.count({ error: true })).toBe(38);
      expect(await registry.traces.count({ error: 'CONTEXT_OVERFLOW', task: 'other' })).toBe(19);
      expect(await registry.traces.count({ since: start + 10_000, until: start + 20_000 })).toBe(20);
      const seen: string[] = [];
      let after: string | undefined;
      do {
        const page = await registry.traces.list({ task: 'qa' }, { limit: 100, after });
        seen.push(...page.data.map((trace) => trace.id));
        after = page.next;
      } while (after);
      const expected = traces
        .filter((trace) => trace.task === 'qa')
        .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1))
        .map((trace) => trace.id);
      expect(seen).toEqual(expected);
      expect(await code(registry.traces.list({}, { after: 'not-a-cursor' }))).toBe('TRACE_BAD_CURSOR');
      expect(await code(registry.traces.get('missing'))).toBe('TRACE_NOT_FOUND');
      await registry.close();
    });

    it('filters by a failed guard check, of any validator or of one, never matching across two checks', async () => {
      const registry = await open();
      // as checkRecords writes them: validator, stage, attempt, passed, action, reason
      const check = (validator: string, stage: string, attempt: number, passed: boolean) => ({
        validator,
        stage,
        attempt,
        passed,
        action: passed ? 'none' : 'fixed',
        ...(!passed && { reason: 'found' }),
      });
      await registry.traces.insert([
        sampleTrace({ id: 'clean', checks: [check('pii', 'input', 0, true)] }),
        sampleTrace({ id: 'masked', checks: [check('pii', 'input', 0, false)] }),
        // pii passed and another validator failed: not a pii failure
        sampleTrace({
          id: 'other',
          checks: [check('pii', 'input', 0, true), check('json_x', 'output', 0, false)],
        }),
        sampleTrace({ id: 'tenth', checks: [check('json_x', 'output', 10, false)] }),
        sampleTrace({ id: 'unchecked' }),
      ]);
      const ids = async (guardFailed: true | string) =>
        (await registry.traces.list({ guardFailed })).data.map((trace) => trace.id).sort();
      expect(await ids(true)).toEqual(['masked', 'other', 'tenth']);
      expect(await ids('pii')).toEqual(['masked']);
      expect(await ids('json_x')).toEqual(['other', 'tenth']);
      // LIKE's wildcards in a name are literal
      expect(await ids('json%')).toEqual([]);
      expect(await ids('json_')).toEqual([]);
      await registry.close();
    });

    it('scores traces within their configs, only a key’s own traces when asked, and filters by score', async () => {
      const registry = await open();
      await registry.traces.insert([
        sampleTrace({ id: 'mine', keyId: 'key1' }),
        sampleTrace({ id: 'theirs', keyId: 'key2' }),
      ]);
      await registry.scores.setConfig({ name: 'stars', kind: 'numeric', minimum: 1, maximum: 5 });
      await registry.scores.setConfig({ name: 'tone', kind: 'categorical', categories: ['polite', 'rude'] });
      const stars = await registry.scores.add(
        {
          traceId: 'mine',
          name: 'stars',
          value: 4,
          source: 'feedback',
          comment: 'close',
          correction: 'World',
          keyId: 'key1',
        },
        { onlyKey: 'key1' },
      );
      expect(stars).toMatchObject({
        kind: 'numeric',
        value: 4,
        task: 'qa',
        label: 'production',
        correction: 'World',
      });
      await registry.scores.add({ traceId: 'mine', name: 'helpful', value: true, source: 'feedback' });
      await registry.scores.add({ traceId: 'theirs', name: 'tone', value: 'rude', source: 'evaluator' });
      expect(
        await code(
          registry.scores.add(
            { traceId: 'theirs', name: 'helpful', value: false, source: 'feedback' },
            { onlyKey: 'key1' },
          ),
        ),
      ).toBe('TRACE_NOT_FOUND');
      expect(
        await code(registry.scores.add({ traceId: 'mine', name: 'stars', value: 9, source: 'feedback' })),
      ).toBe('SCORE_INVALID');
      expect(
        await code(
          registry.scores.add({ traceId: 'mine', name: 'stars', value: 'high', source: 'feedback' }),
        ),
      ).toBe('SCORE_INVALID');
      expect(
        await code(registry.scores.add({ traceId: 'mine', name: 'tone', value: 'meh', source: 'feedback' })),
      ).toBe('SCORE_INVALID');
      expect(
        await code(
          registry.scores.add({ traceId: 'mine', name: 'helpful', value: 'yes', source: 'feedback' }),
        ),
      ).toBe('SCORE_INVALID');
      expect(
        await code(registry.scores.add({ traceId: 'mine', name: 'bad name!', value: 1, source: 'feedback' })),
      ).toBe('SCORE_INVALID');
      expect(
        await code(registry.scores.add({ traceId: 'gone', name: 'stars', value: 3, source: 'feedback' })),
      ).toBe('TRACE_NOT_FOUND');
      expect(
        await code(registry.scores.setConfig({ name: 'mood', kind: 'numeric', minimum: 5, maximum: 1 })),
      ).toBe('SCORE_INVALID');
      // scores already given keep fitting their config
      expect(await code(registry.scores.setConfig({ name: 'helpful', kind: 'numeric' }))).toBe(
        'SCORE_INVALID',
      );
      expect(await code(registry.scores.setConfig({ name: 'stars', kind: 'numeric', minimum: 5 }))).toBe(
        'SCORE_INVALID',
      );
      expect(
        await code(registry.scores.setConfig({ name: 'tone', kind: 'categorical', categories: ['polite'] })),
      ).toBe('SCORE_INVALID');
      await registry.scores.setConfig({ name: 'tone', kind: 'categorical', categories: ['rude', 'neutral'] });
      expect(await code(registry.scores.setConfig({ name: 'mood', kind: 'boolean', minimum: 3 }))).toBe(
        'SCORE_INVALID',
      );
      expect(
        await code(registry.scores.setConfig({ name: 'mood', kind: 'categorical', categories: [''] })),
      ).toBe('SCORE_INVALID');
      const mine = await registry.traces.get('mine');
      // scores given in the same millisecond have no order among themselves
      expect(mine.scores.map((score) => [score.name, score.value, score.category]).sort()).toEqual([
        ['helpful', 1, null],
        ['stars', 4, null],
      ]);
      expect(await registry.traces.count({ score: { name: 'stars', minimum: 4 } })).toBe(1);
      expect(await registry.traces.count({ score: { name: 'stars', maximum: 3 } })).toBe(0);
      expect(await registry.traces.count({ score: { name: 'tone' } })).toBe(1);
      expect((await registry.scores.list({ name: 'helpful' })).map((score) => score.traceId)).toEqual([
        'mine',
      ]);
      expect((await registry.scores.listConfigs()).map((config) => config.name)).toEqual([
        'helpful',
        'stars',
        'tone',
      ]);
      await registry.close();
    });

    it('prunes by age and by count, scores included', async () => {
      const registry = await open();
      const traces = Array.from({ length: 20 }, (_, index) =>
        sampleTrace({ id: `p-${index}`, at: 1000 + index }),
      );
      await registry.traces.insert(traces);
      await registry.scores.add({ traceId: 'p-0', name: 'helpful', value: true, source: 'feedback' });
      expect(await registry.traces.prune({ before: 1005 })).toBe(5);
      expect(await registry.scores.list()).toEqual([]);
      expect(await registry.traces.prune({ keep: 10 })).toBe(5);
      expect((await registry.traces.list({}, { limit: 100 })).data.map((trace) => trace.id).at(-1)).toBe(
        'p-10',
      );
      expect(await registry.traces.prune({ keep: 10 })).toBe(0);
      expect(await registry.traces.count()).toBe(10);
      await registry.close();
    });

    it('prunes by count alike from either end: ties at the first trace beyond the count go with it', async () => {
      const location = await blank();
      const registry = await Registry.open(location);
      // ten traces, instants shared by twos and threes
      const times = [1, 1, 2, 2, 2, 3, 4, 4, 5, 5];
      const traces = times.map((at, index) => sampleTrace({ id: `c-${index}`, at: 1000 + at }));
      for (const keep of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12]) {
        await registry.traces.insert(traces); // the pruned ones again
        const newestFirst = [...traces].sort((a, b) => b.at - a.at);
        const beyond = newestFirst[keep];
        const kept = traces.filter((trace) => beyond === undefined || trace.at > beyond.at);
        expect(await registry.traces.prune({ keep }), `keep ${keep}`).toBe(traces.length - kept.length);
        expect((await registry.traces.list({}, { limit: 20 })).data.map((trace) => trace.id).sort()).toEqual(
          kept.map((trace) => trace.id).sort(),
        );
      }
      await registry.close();
      // on SQLite the instant is found from the nearer end: keeping 9 of 10 steps over no trace, not 9
      // (Postgres, whose count reads every row, steps over the 9 newest as before)
      const { database, queries, sqlite, dialect } = loggedDatabase(location);
      const store = new TraceStore(database, (work) => database.transaction().execute(work), sqlite);
      await store.insert(traces);
      expect(await store.prune({ keep: 9 })).toBe(2);
      await database.destroy();
      const stepped = queries.filter((query) => /offset/.test(query.sql));
      expect(stepped).toHaveLength(1);
      // SQLite's step from the oldest counts in its own statement (one snapshot: another process's
      // prune between a count and the step would move it past traces to keep)
      if (dialect === 'sqlite')
        expect(stepped[0].sql).toMatch(
          /order by at asc\s+limit 1 offset max\(\(select count\(\*\) from traces\)/,
        );
      else expect(stepped[0].parameters.at(-1)).toBe(9);
    });

    it('reads one key’s traces through an index, never a scan of every trace', async () => {
      const location = await blank();
      const registry = await Registry.open(location);
      await registry.traces.insert(
        Array.from({ length: 20 }, (_, index) => sampleTrace({ id: `k-${index}`, keyId: `key${index % 2}` })),
      );
      await registry.close();
      const { database, dialect } = rawDatabase(location);
      // the page GET /v1/traces reads for a key without the admin scope (TraceStore.list)
      const page = sql`select * from traces where key_id = ${'key1'} order by at desc, id desc limit 51`;
      const plan =
        dialect === 'sqlite'
          ? (await sql<{ detail: string }>`explain query plan ${page}`.execute(database)).rows.map(
              (row) => row.detail,
            )
          : await database.transaction().execute(async (transaction) => {
              // an empty table is cheapest to scan: ask what the planner would do with many rows
              await sql`set local enable_seqscan = off`.execute(transaction);
              const rows = await sql<Record<string, string>>`explain ${page}`.execute(transaction);
              return rows.rows.map((row) => Object.values(row)[0]);
            });
      await database.destroy();
      expect(plan.join('\n')).toContain('traces_by_key');
    });

    it('prunes in batches with other work let in between them', async () => {
      const registry = await open();
      await registry.traces.insert(
        Array.from({ length: 25 }, (_, index) => sampleTrace({ id: `b-${index}`, at: 1000 + index })),
      );
      await registry.scores.add({ traceId: 'b-3', name: 'helpful', value: true, source: 'feedback' });
      await registry.scores.add({ traceId: 'b-24', name: 'helpful', value: true, source: 'feedback' });
      const order: string[] = [];
      const pruning = registry.traces.prune({ before: 1020, batch: 8 }).then((count) => {
        order.push('pruned');
        return count;
      });
      // a request arriving during a long prune is answered before the prune ends, not after it
      setImmediate(() => order.push('other work'));
      expect(await pruning).toBe(20);
      expect(order).toEqual(['other work', 'pruned']);
      expect((await registry.scores.list()).map((score) => score.traceId)).toEqual(['b-24']);
      expect(await registry.traces.count()).toBe(5);
      await registry.close();
    });

    it('aggregates a window’s scores from an index: covering on SQLite, led by the task when one is asked', async () => {
      const location = await blank();
      const registry = await Registry.open(location);
      await registry.close();
      const { database, dialect } = rawDatabase(location);
      // the shape of Scores.aggregates (the monitor's, drift's scores)
      const aggregate = (task: string | undefined) =>
        sql`select task, version, label, name, kind, category, count(*), sum(value) from scores
          where trace_at >= ${0} and trace_at < ${1000}${task === undefined ? sql`` : sql` and task = ${task}`}
          group by task, version, label, name, kind, category`;
      const plan = async (query: ReturnType<typeof aggregate>) =>
        dialect === 'sqlite'
          ? (await sql<{ detail: string }>`explain query plan ${query}`.execute(database)).rows
              .map((row) => row.detail)
              .join('\n')
          : await database.transaction().execute(async (transaction) => {
              await sql`set local enable_seqscan = off`.execute(transaction);
              const rows = await sql<Record<string, string>>`explain ${query}`.execute(transaction);
              return rows.rows.map((row) => Object.values(row)[0]).join('\n');
            });
      expect(await plan(aggregate('qa'))).toContain('scores_by_task');
      if (dialect === 'sqlite')
        expect(await plan(aggregate(undefined))).toContain('COVERING INDEX scores_for_monitor');
      await database.destroy();
    });

    it('keeps alert states and history', async () => {
      const registry = await open();
      await registry.alerts.save({
        rule: 'errors',
        state: 'firing',
        since: 5,
        value: 0.2,
        count: 40,
        evaluatedAt: 6,
      });
      await registry.alerts.save({
        rule: 'errors',
        state: 'ok',
        since: 9,
        value: undefined,
        count: 0,
        evaluatedAt: 9,
        error: 'no data',
      });
      expect(await registry.alerts.load()).toEqual([
        {
          rule: 'errors',
          state: 'ok',
          since: 9,
          value: undefined,
          count: 0,
          evaluatedAt: 9,
          error: 'no data',
        },
      ]);
      const fired = {
        rule: 'errors',
        state: 'firing' as const,
        value: 0.2,
        count: 40,
        threshold: 0.05,
        at: 5,
        severity: 'critical',
        detail: { task: 'qa' },
      };
      await registry.alerts.record(fired);
      await registry.alerts.record({
        ...fired,
        state: 'resolved',
        value: undefined,
        at: 9,
        detail: undefined,
      });
      const history = await registry.alerts.history({ rule: 'errors' });
      expect(history.map((event) => event.state)).toEqual(['resolved', 'firing']);
      expect(history[1]).toEqual(fired);
      await registry.close();
    });

    it('upgrades a registry with a sampled request log: its rows become traces, read as the service records them', async () => {
      const location = await blank();
      const { database, dialect } = rawDatabase(location);
      await migrateToLatest(database, dialect, '003-version-specs');
      const log = (request: unknown, at: string) =>
        sql`insert into request_logs (task, version, key_id, request, response, latency_ms, at)
          values ('qa', 'v1', 'key1', ${JSON.stringify(request)}, 'because', 12, ${at})`.execute(database);
      const chat = { model: 'qa@1', messages: [{ role: 'user', content: 'why' }], max_tokens: 8 };
      // the request log of promptune before traces: a typed run's fields, and whole completion bodies
      await log({ input: { question: 'why' } }, '2025-01-01T00:00:00.000Z');
      await log(chat, '2025-01-01T00:00:01.000Z');
      await log({ model: 'qa', prompt: 'why', max_tokens: 8 }, '2025-01-01T00:00:02.000Z');
      await database.destroy();
      const registry = await Registry.open(location);
      const traces = (await registry.traces.list()).data.sort((a, b) => a.at - b.at);
      expect(traces).toMatchObject([
        {
          id: 'log-1',
          operation: 'run',
          task: 'qa',
          version: 'v1',
          keyId: 'key1',
          // a run's fields, as the service records a run now (it had kept { input: fields })
          input: { question: 'why' },
          output: 'because',
          latencyMs: 12,
          at: Date.parse('2025-01-01T00:00:00.000Z'),
        },
        { id: 'log-2', operation: 'chat', model: 'qa@1', input: chat },
        { id: 'log-3', operation: 'text_completion', model: 'qa', input: { prompt: 'why' } },
      ]);
      await registry.close();
    });

    it('repairs request-log traces an earlier upgrade made, and the review items taken from them', async () => {
      const location = await blank();
      const { database, dialect } = rawDatabase(location);
      await migrateToLatest(database, dialect, '003-version-specs');
      const spec = JSON.stringify({
        name: 'qa',
        input: { fields: ['question'] },
        prompt: { template: '{{question}}' },
      });
      await sql`insert into tasks (name, description, spec, created_at) values ('qa', '', ${spec}, '2025-01-01T00:00:00.000Z')`.execute(
        database,
      );
      const chat = { model: 'qa', messages: [{ role: 'user', content: 'why' }] };
      const run = { input: { question: 'how' } };
      for (const [request, at] of [
        [run, '2025-01-01T00:00:00.000Z'],
        [chat, '2025-01-01T00:00:01.000Z'],
      ] as const)
        await sql`insert into request_logs (task, version, key_id, request, response, latency_ms, at)
          values ('qa', 'v1', 'key1', ${JSON.stringify(request)}, 'because', 12, ${at})`.execute(database);
      // a release that had traces and review (up to 014) folded them in as 'run' traces, and a reviewer
      // queued both with the fields it read from them: the whole bodies
      await migrateToLatest(database, dialect, '014-trace-sampling');
      await sql`insert into review_queues (name, task, config, actor, created_at) values ('q', 'qa', '{}', 'ana', 1)`.execute(
        database,
      );
      for (const [id, trace, input] of [
        ['item-1', 'log-1', run],
        ['item-2', 'log-2', chat],
      ] as const)
        await sql`insert into review_items (id, queue, trace_id, reason, input, output, context, reviews_needed, reviews_done, created_at)
          values (${id}, 'q', ${trace}, 'manual', ${JSON.stringify(input)}, 'because', '{}', 1, 0, 1)`.execute(
          database,
        );
      await database.destroy();
      const registry = await Registry.open(location);
      expect(await registry.traces.get('log-1')).toMatchObject({
        operation: 'run',
        input: { question: 'how' },
      });
      expect(await registry.traces.get('log-2')).toMatchObject({
        operation: 'chat',
        model: 'qa',
        input: chat,
      });
      await registry.close();
      const raw = rawDatabase(location);
      const items = await sql<{
        id: string;
        input: string;
      }>`select id, input from review_items order by id`.execute(raw.database);
      await raw.database.destroy();
      expect(items.rows.map((item) => JSON.parse(item.input) as unknown)).toEqual([
        { question: 'how' },
        { question: 'why' },
      ]);
    });
  });
}
