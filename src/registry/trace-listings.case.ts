// The conformance suite of trace listings at scale, run on SQLite and Postgres alike: a listing by
// score or by failed guard check reads the same traces, in the same order and pages, whether the side
// table leads (a rare name) or the traces do (a common one); a rare name's listing reads traces by id,
// not all of them; guard failures are kept at insert, pruned with their traces, and found for the
// traces an older release stored.
import { sql, type CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import { loggedDatabase, planOf } from '../../test/query-plans.js';
import { migrateToLatest } from './migrations.js';
import type { RegistryLocation } from './open-registry.js';
import { rawDatabase } from './registry-specs.case.js';
import { Registry } from './registry.js';
import { sampleTrace } from './traces.case.js';
import { TraceStore, type TraceFilter } from './traces.js';

/**
 * A trace store on its own connection to `location`, with the queries it runs kept in `queries`;
 * `drivingLimit` as TraceStore's option.
 */
function loggedStore(location: RegistryLocation, drivingLimit?: number) {
  const logged = loggedDatabase(location);
  const store = new TraceStore(
    logged.database,
    (work) => logged.database.transaction().execute(work),
    undefined,
    drivingLimit === undefined ? {} : { drivingLimit },
  );
  return { store, ...logged };
}

/** Every page of `filter`'s listing, `limit` at a time: the ids in order. */
async function allPages(store: TraceStore, filter: TraceFilter, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  do {
    const page = await store.list(filter, { limit, after });
    ids.push(...page.data.map((trace) => trace.id));
    after = page.next;
  } while (after);
  return ids;
}

/**
 * Lists each filter of `cases` both ways (the side table leading, as it does for the few rows of a test,
 * and the traces leading, as for a common condition) and expects its ids from each, page by page, and
 * as many counted.
 */
async function expectBothWays(location: RegistryLocation, cases: [TraceFilter, string[]][]): Promise<void> {
  const sideLeads = loggedStore(location);
  const tracesLead = loggedStore(location, 0);
  try {
    for (const [filter, ids] of cases)
      for (const { store } of [sideLeads, tracesLead]) {
        expect(await allPages(store, filter, 4), JSON.stringify(filter)).toEqual(ids);
        expect(await store.count(filter)).toBe(ids.length);
      }
    // each way was taken: the side table led every listing of one store, and none of the other's
    const listings = (queries: CompiledQuery[]) => queries.filter((query) => /order by/.test(query.sql));
    expect(listings(sideLeads.queries).every((query) => /cross join/.test(query.sql))).toBe(true);
    expect(listings(tracesLead.queries).some((query) => /cross join/.test(query.sql))).toBe(false);
  } finally {
    await sideLeads.database.destroy();
    await tracesLead.database.destroy();
  }
}

/** The listing's query among `queries` (the one that orders its traces). */
const listingOf = (queries: CompiledQuery[]) => queries.find((query) => /order by/.test(query.sql))!;

/** Runs the suite on locations from `blank` (each call: one where nothing was created yet). */
export function traceListingConformance(name: string, blank: () => Promise<RegistryLocation>): void {
  describe(`trace listings conformance: ${name}`, () => {
    it('lists by score alike whether the scores or the traces lead: newest first, each trace once, across pages', async () => {
      const location = await blank();
      const registry = await Registry.open(location);
      const start = Date.parse('2026-12-01T00:00:00Z');
      const traces = Array.from({ length: 40 }, (_, index) =>
        sampleTrace({
          id: `s-${String(index).padStart(2, '0')}`,
          at: start + Math.floor(index / 3) * 1000, // threes share an instant: a page may end inside one
          task: index % 4 === 0 ? 'other' : 'qa',
          keyId: `key${index % 2}`,
        }),
      );
      await registry.traces.insert(traces);
      const given: [number, string, number][] = [];
      for (let index = 0; index < 40; index++) {
        if (index % 5 !== 4) given.push([index, 'helpful', index % 3 === 0 ? 0 : 1]);
        if (index % 7 === 2) given.push([index, 'rare', 3]);
      }
      // twice the same name on one trace (feedback given twice): the trace is listed once
      given.push([9, 'rare', 5], [9, 'helpful', 0], [16, 'rare', 1]);
      for (const [index, scoreName, value] of given)
        await registry.scores.add({
          traceId: traces[index]!.id,
          name: scoreName,
          value: scoreName === 'helpful' ? value === 1 : value,
          source: 'feedback',
        });
      await registry.close();
      const expected = (filter: TraceFilter) =>
        traces
          .filter((trace, index) => {
            const score = filter.score!;
            return (
              (filter.task === undefined || trace.task === filter.task) &&
              (filter.keyId === undefined || trace.keyId === filter.keyId) &&
              given.some(
                ([scored, scoreName, value]) =>
                  scored === index &&
                  scoreName === score.name &&
                  (score.minimum === undefined || value >= score.minimum) &&
                  (score.maximum === undefined || value <= score.maximum),
              )
            );
          })
          .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1))
          .map((trace) => trace.id);
      const filters: TraceFilter[] = [
        { score: { name: 'rare' } },
        { score: { name: 'rare', minimum: 2, maximum: 4 } },
        { score: { name: 'helpful' } },
        { score: { name: 'helpful', maximum: 0 }, task: 'qa' },
        { score: { name: 'rare' }, keyId: 'key0' },
        { score: { name: 'never-given' } },
      ];
      await expectBothWays(
        location,
        filters.map((filter) => [filter, expected(filter)]),
      );
    });

    it('lists by a failed guard check alike whether the failures or the traces lead, whatever its policy did', async () => {
      const location = await blank();
      const registry = await Registry.open(location);
      // as checkRecords writes them: validator, stage, attempt, passed, action, reason
      const check = (
        validator: string,
        passed: boolean,
        action = passed ? 'none' : 'fixed',
        attempt = 0,
      ) => ({
        validator,
        stage: validator === 'pii' ? 'input' : 'output',
        attempt,
        passed,
        action,
        ...(!passed && { reason: 'found' }),
      });
      const checks: unknown[] = [
        [check('pii', true)],
        [check('pii', false)],
        // re-asked and then passed: still a failed check
        [check('pii', true), check('json', false, 'reask'), check('json', true, 'none', 1)],
        [check('json', false, 'refrain')],
        // an evaluation's checks: its guards' verdicts beside its score and target
        {
          score: 1,
          byMetric: { exact: 1 },
          fromCache: false,
          target: 'x',
          guards: [check('pii', false, 'none')],
        },
        { score: 0, byMetric: { exact: 0 }, fromCache: false, target: 'y' },
        [{ passed: false, action: 'none' }],
        [check('json_x', false, 'refuse', 10)],
        null,
        [check('pii', true)],
        [check('pii', false), check('pii', false, 'fixed', 1), check('json', false)],
      ];
      const start = Date.parse('2026-12-01T00:00:00Z');
      const traces = checks.map((traceChecks, index) =>
        sampleTrace({
          id: `g-${String(index).padStart(2, '0')}`,
          at: start + Math.floor(index / 2) * 1000, // pairs share an instant
          task: index === 3 ? 'other' : 'qa',
          checks: traceChecks,
        }),
      );
      await registry.traces.insert(traces);
      // stored again with a failed check: a stored trace is left as it was, its failures too
      await registry.traces.insert([{ ...traces[9]!, checks: [check('pii', false)] }]);
      for (const id of ['g-01', 'g-04', 'g-05'])
        await registry.scores.add({ traceId: id, name: 'helpful', value: true, source: 'feedback' });
      await registry.close();
      await expectBothWays(location, [
        [{ guardFailed: true }, ['g-10', 'g-07', 'g-06', 'g-04', 'g-03', 'g-02', 'g-01']],
        [{ guardFailed: 'pii' }, ['g-10', 'g-04', 'g-01']],
        [{ guardFailed: 'json' }, ['g-10', 'g-03', 'g-02']],
        [{ guardFailed: 'json_x' }, ['g-07']],
        [{ guardFailed: true, task: 'other' }, ['g-03']],
        [{ guardFailed: 'pii', score: { name: 'helpful' } }, ['g-04', 'g-01']],
        // a name is matched whole and as written (LIKE had matched PII to pii on SQLite only)
        [{ guardFailed: 'json%' }, []],
        [{ guardFailed: 'json_' }, []],
        [{ guardFailed: 'PII' }, []],
      ]);
    });

    it("stores a batch whose trace id comes twice (a reused x-request-id) once, with the first one's failures", async () => {
      const registry = await Registry.open(await blank());
      try {
        const failed = [{ validator: 'pii', stage: 'input', attempt: 0, passed: false, action: 'fixed' }];
        const other = [{ validator: 'length', stage: 'output', attempt: 0, passed: false, action: 'refuse' }];
        await registry.traces.insert([
          sampleTrace({ id: 'twice', at: 1000, checks: failed }),
          sampleTrace({ id: 'bystander', at: 1001 }),
          sampleTrace({ id: 'twice', at: 1002, checks: [...failed, ...other] }),
        ]);
        expect((await registry.traces.list({})).data.map((trace) => trace.id)).toEqual([
          'bystander',
          'twice',
        ]);
        expect((await registry.traces.list({ guardFailed: 'pii' })).data.map((trace) => trace.id)).toEqual([
          'twice',
        ]);
        expect((await registry.traces.list({ guardFailed: 'length' })).data).toEqual([]);
        // and again in a later batch: the stored one stays, with its failures
        await registry.traces.insert([sampleTrace({ id: 'twice', at: 1003, checks: other })]);
        expect((await registry.traces.list({ guardFailed: true })).data.map((trace) => trace.id)).toEqual([
          'twice',
        ]);
        expect((await registry.traces.list({ guardFailed: 'length' })).data).toEqual([]);
      } finally {
        await registry.close();
      }
    });

    it('prunes the guard failures of the traces it deletes', async () => {
      const location = await blank();
      const registry = await Registry.open(location);
      const failed = [{ validator: 'pii', stage: 'input', attempt: 0, passed: false, action: 'fixed' }];
      await registry.traces.insert(
        Array.from({ length: 6 }, (_, index) =>
          sampleTrace({ id: `p-${index}`, at: 1000 + index, checks: failed }),
        ),
      );
      expect(await registry.traces.prune({ before: 1004 })).toBe(4);
      expect((await registry.traces.list({ guardFailed: 'pii' })).data.map((trace) => trace.id)).toEqual([
        'p-5',
        'p-4',
      ]);
      await registry.close();
      const { database } = rawDatabase(location);
      try {
        const left = await sql<{
          trace_id: string;
        }>`select trace_id from guard_failures order by trace_id`.execute(database);
        expect(left.rows.map((row) => row.trace_id)).toEqual(['p-4', 'p-5']);
      } finally {
        await database.destroy();
      }
    });

    it("reads a rare score name's traces by id through the scores' name index, and a common one's next page from its cursor on", async () => {
      const location = await blank();
      const registry = await Registry.open(location);
      await registry.traces.insert(
        Array.from({ length: 30 }, (_, index) => sampleTrace({ id: `r-${index}`, at: 1000 + index })),
      );
      await registry.scores.add({ traceId: 'r-3', name: 'rare', value: 1, source: 'feedback' });
      for (let index = 0; index < 30; index++)
        await registry.scores.add({
          traceId: `r-${index}`,
          name: 'helpful',
          value: true,
          source: 'feedback',
        });
      await registry.close();
      const rare = loggedStore(location);
      const common = loggedStore(location, 0);
      try {
        const found = await rare.store.list({ score: { name: 'rare' }, keyId: 'key1' });
        expect(found.data.map((trace) => trace.id)).toEqual(['r-3']);
        const rarePlan = await planOf(rare.database, rare.dialect, listingOf(rare.queries));
        expect(rarePlan).toContain('scores_by_name');
        const first = await common.store.list({ score: { name: 'helpful' } }, { limit: 5 });
        common.queries.length = 0;
        const next = await common.store.list({ score: { name: 'helpful' } }, { limit: 5, after: first.next });
        expect(next.data.map((trace) => trace.id)).toEqual(['r-24', 'r-23', 'r-22', 'r-21', 'r-20']);
        const commonPlan = await planOf(common.database, common.dialect, listingOf(common.queries));
        // SQLite says SCAN for a read of a whole table or index, and MULTI-INDEX OR where it reads
        // the two sides of the cursor's condition apart and sorts what they found; Postgres plans on its
        // statistics, which a few rows do not make those of a million
        if (rare.dialect === 'sqlite') {
          expect(rarePlan).not.toMatch(/SCAN traces/);
          expect(commonPlan).toMatch(/SEARCH traces USING INDEX traces_for_monitor \(at<\?\)/);
          expect(commonPlan).toContain('scores_by_name');
          expect(commonPlan).not.toContain('MULTI-INDEX OR');
        }
      } finally {
        await rare.database.destroy();
        await common.database.destroy();
      }
    });

    it('upgrades a registry the last release left (up to 017): scores get the name index, stored checks their failures', async () => {
      const location = await blank();
      const { database, dialect } = rawDatabase(location);
      await migrateToLatest(database, dialect, '017-scores-for-monitor');
      const failed = (validator: string) => ({
        validator,
        stage: 'output',
        attempt: 0,
        passed: false,
        action: 'reask',
        reason: 'found',
      });
      // the checks text as that release stored it (JSON.stringify of the records), and one by hand
      const stored: (string | null)[] = [
        null,
        JSON.stringify([{ validator: 'pii', stage: 'input', attempt: 0, passed: true, action: 'none' }]),
        JSON.stringify([failed('json')]),
        JSON.stringify({ score: 0, byMetric: {}, fromCache: false, target: 'x', guards: [failed('pii')] }),
        'not JSON, though it says "passed":false',
        JSON.stringify([failed('json'), failed('pii')]),
      ];
      for (const [index, checks] of stored.entries())
        await sql`insert into traces (id, at, source, operation, input, input_tokens, output_tokens, latency_ms, status, checks)
          values (${`u-${index}`}, ${1000 + index}, 'service', 'chat', '{}', 1, 1, 1, 200, ${checks})`.execute(
          database,
        );
      for (const [id, trace] of [
        ['score-1', 'u-1'],
        ['score-2', 'u-4'],
        ['score-3', 'u-4'],
      ])
        await sql`insert into scores (id, trace_id, name, kind, value, source, trace_at, at)
          values (${id}, ${trace}, 'rare', 'numeric', 1, 'feedback', 0, 0)`.execute(database);
      await database.destroy();
      const registry = await Registry.open(location);
      const ids = async (filter: TraceFilter) =>
        (await registry.traces.list(filter)).data.map((trace) => trace.id);
      expect(await ids({ score: { name: 'rare' } })).toEqual(['u-4', 'u-1']);
      expect(await ids({ guardFailed: true })).toEqual(['u-5', 'u-3', 'u-2']);
      expect(await ids({ guardFailed: 'pii' })).toEqual(['u-5', 'u-3']);
      expect(await ids({ guardFailed: 'json' })).toEqual(['u-5', 'u-2']);
      await registry.close();
      const { store, database: logged, queries, dialect: opened } = loggedStore(location);
      try {
        await store.list({ score: { name: 'rare' } });
        expect(await planOf(logged, opened, listingOf(queries))).toContain('scores_by_name');
        queries.length = 0;
        await store.list({ guardFailed: 'pii' });
        expect(await planOf(logged, opened, listingOf(queries))).toContain('guard_failures_by_validator');
      } finally {
        await logged.destroy();
      }
    });
  });
}
