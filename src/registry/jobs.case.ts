// The job store's conformance suite, run on SQLite and Postgres alike: a queued job goes to one of
// several claimants at once, a job whose lease lapsed (its worker died) is claimed again as its next
// attempt and its old worker can no longer touch it, cancels (queued at once, running at the next
// heartbeat), retries while attempts remain, and the log keeps its tail.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { errorCode as code } from '../../test/error-code.js';
import { loggedDatabase, planOf } from '../../test/query-plans.js';
import { JobStore, jobLogLimit } from './jobs.js';
import type { RegistryLocation } from './open-registry.js';
import { Registry } from './registry.js';

const job = (
  registry: Registry,
  maxAttempts = 3,
  more: Partial<Parameters<Registry['jobs']['submit']>[0]> = {},
) =>
  registry.jobs.submit({
    kind: 'eval',
    args: ['eval'],
    cwd: '/tmp',
    queue: 'registry',
    maxAttempts,
    actor: 'ana',
    ...more,
  });

/**
 * Runs the suite against fresh, empty registries from `open`; `blank` gives a location where nothing
 * was created yet.
 */
export function jobConformance(
  name: string,
  open: () => Promise<Registry>,
  blank: () => Promise<RegistryLocation>,
): void {
  const opened: Registry[] = [];
  const fresh = async () => {
    const registry = await open();
    opened.push(registry);
    return registry;
  };
  describe(`jobs conformance: ${name}`, () => {
    afterAll(async () => {
      await Promise.all(opened.map((registry) => registry.close()));
    });

    it('hands a queued job to one claimant, and again when its lease lapses', async () => {
      const registry = await fresh();
      const submitted = await job(registry);
      expect(submitted).toMatchObject({ status: 'queued', attempts: 0, queue: 'registry' });
      const claims = await Promise.all(['a', 'b', 'c'].map((worker) => registry.jobs.claim(worker, 10_000)));
      const winners = claims.filter((claim) => claim !== undefined);
      expect(winners).toHaveLength(1);
      expect(winners[0]).toMatchObject({ id: submitted.id, status: 'running', attempts: 1 });
      const holder = winners[0]!.worker!;
      expect(await registry.jobs.claim('d', 10_000)).toBeUndefined();
      // the holder dies: after its lease, the job is the next claimant's second attempt
      const later = Date.now() + 20_000;
      const again = await registry.jobs.claim('d', 10_000, later);
      expect(again).toMatchObject({ id: submitted.id, worker: 'd', attempts: 2 });
      expect(again!.log).toMatch(/--- attempt 2 on d/);
      expect(await code(registry.jobs.heartbeat(submitted.id, holder, { leaseMs: 1000 }))).toBe(
        'JOB_LEASE_LOST',
      );
      expect(await code(registry.jobs.finish(submitted.id, holder, { status: 'completed' }))).toBe(
        'JOB_LEASE_LOST',
      );
      await registry.jobs.heartbeat(submitted.id, 'd', { leaseMs: 1000, output: 'step 1\n' });
      await registry.jobs.noteRun(submitted.id, 'run-1');
      await registry.jobs.noteRun(submitted.id, 'run-1'); // noted once
      expect(await code(registry.jobs.noteRun('job-none', 'run-2'))).toBe('JOB_NOT_FOUND');
      const done = await registry.jobs.finish(submitted.id, 'd', {
        status: 'completed',
        output: 'done\n',
        result: { exitCode: 0 },
      });
      // an ended job keeps the worker that ran it, for job show and the Jobs page
      expect(done).toMatchObject({
        status: 'completed',
        worker: 'd',
        result: { runs: ['run-1'], exitCode: 0 },
      });
      expect((await registry.jobs.get(submitted.id)).log).toMatch(/step 1\ndone\n$/);
      expect(await code(registry.jobs.get('job-none'))).toBe('JOB_NOT_FOUND');
    });

    it('finds a job by its id or the start of its hex digits, and says when several start so', async () => {
      const registry = await fresh();
      const submit = (id: string) => job(registry, 1, { id });
      await submit('job-3f2a00000001');
      await submit('job-3f2a00000002');
      await submit('job-77b000000000');
      expect((await registry.jobs.find('job-3f2a00000002')).id).toBe('job-3f2a00000002');
      expect((await registry.jobs.find('77b0')).id).toBe('job-77b000000000');
      expect((await registry.jobs.find('77B0')).id).toBe('job-77b000000000'); // as a person may type it
      expect((await registry.jobs.find('job-3f2a00000001')).id).toBe('job-3f2a00000001');
      expect(await code(registry.jobs.find('3f2a'))).toBe('JOB_AMBIGUOUS');
      expect(await code(registry.jobs.find('77b'))).toBe('JOB_NOT_FOUND'); // three digits are too few
      expect(await code(registry.jobs.find('9999'))).toBe('JOB_NOT_FOUND');
      expect(await code(registry.jobs.find('3f2a%'))).toBe('JOB_NOT_FOUND');
    });

    it('counts jobs by status, and the running ones not heard from for a while', async () => {
      const registry = await fresh();
      const [quiet, live] = [await job(registry), await job(registry)];
      await job(registry);
      await registry.jobs.start(quiet.id, 'gone', 600_000, Date.now() - 120_000);
      await registry.jobs.start(live.id, 'alive', 600_000);
      expect(await registry.jobs.counts({ silentMs: 60_000 })).toEqual({
        byStatus: { queued: 1, running: 2, completed: 0, failed: 0, cancelled: 0 },
        silent: 1,
      });
    });

    it('cancels a queued job at once and a running one at its next heartbeat', async () => {
      const registry = await fresh();
      const queued = await job(registry);
      expect((await registry.jobs.cancel(queued.id)).status).toBe('cancelled');
      expect(await registry.jobs.claim('w', 1000)).toBeUndefined();
      expect(await code(registry.jobs.cancel(queued.id))).toBe('JOB_FINISHED');
      const running = await job(registry);
      await registry.jobs.claim('w', 10_000);
      expect((await registry.jobs.cancel(running.id)).status).toBe('running');
      expect(await registry.jobs.heartbeat(running.id, 'w', { leaseMs: 1000 })).toEqual({
        cancelRequested: true,
      });
      expect((await registry.jobs.finish(running.id, 'w', { status: 'cancelled' })).status).toBe('cancelled');
      expect(
        (await registry.jobs.list({ status: 'cancelled' })).data.map((entry) => entry.id).sort(),
      ).toEqual([queued.id, running.id].sort());
    });

    it('lists jobs newest first a page at a time, without their output', async () => {
      const registry = await fresh();
      const submitted: string[] = [];
      // three submitted in one millisecond, two later: the cursor must page through ties by id
      const clock = vi.spyOn(Date, 'now').mockReturnValue(Date.parse('2026-12-06T12:00:00Z'));
      for (let index = 0; index < 5; index++) {
        if (index === 3) clock.mockReturnValue(Date.parse('2026-12-06T12:00:01Z'));
        const each = await job(registry);
        await registry.jobs.claim(`w${index}`, 10_000);
        await registry.jobs.heartbeat(each.id, `w${index}`, { leaseMs: 10_000, output: 'x'.repeat(1000) });
        submitted.push(each.id);
      }
      clock.mockRestore();
      const pages: string[][] = [];
      let after: string | undefined;
      do {
        const page = await registry.jobs.list({}, { limit: 2, after });
        for (const entry of page.data) expect(entry).not.toHaveProperty('log');
        pages.push(page.data.map((entry) => entry.id));
        after = page.next;
      } while (after !== undefined);
      expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
      // newest first, the larger id first among those created in the same millisecond
      const all = await registry.jobs.list();
      expect(pages.flat()).toEqual(all.data.map((entry) => entry.id));
      expect(pages.flat()).toEqual([
        ...submitted.slice(3).sort().reverse(),
        ...submitted.slice(0, 3).sort().reverse(),
      ]);
      expect(pages.flat().sort()).toEqual([...submitted].sort());
      expect(all.data.map((entry) => entry.createdAt)).toEqual(
        [...all.data.map((entry) => entry.createdAt)].sort((a, b) => b - a),
      );
      expect((await registry.jobs.get(submitted[0]!)).log).toContain('x'.repeat(1000));
      expect(await code(registry.jobs.list({}, { after: 'not a cursor' }))).toBe('JOB_BAD_CURSOR');
    });

    it('lists jobs newest first through an index led by their creation, not a sort of every job', async () => {
      const location = await blank();
      const registry = await Registry.open(location);
      for (let index = 0; index < 3; index++) await job(registry);
      await registry.close();
      const { database, queries, dialect } = loggedDatabase(location);
      try {
        const jobs = new JobStore(database, (work) => database.transaction().execute(work), dialect);
        const first = await jobs.list({}, { limit: 2 });
        await jobs.list({}, { limit: 2, after: first.next });
        // the two listings' queries (planning them runs more)
        for (const query of queries.splice(0)) {
          const plan = await planOf(database, dialect, query);
          expect(plan).toContain('jobs_by_creation');
          // SQLite names a sort it needs for the order (a TEMP B-TREE), Postgres a Sort node
          expect(plan).not.toMatch(dialect === 'sqlite' ? /TEMP B-TREE/ : /Sort/);
        }
      } finally {
        await database.destroy();
      }
    });

    it('starts a job only when no live lease holds it, and ends a lapsed one with no attempts left or a cancel asked for', async () => {
      const registry = await fresh();
      const submitted = await job(registry, 2);
      await registry.jobs.start(submitted.id, 'a', 10_000);
      expect(await code(registry.jobs.start(submitted.id, 'b', 10_000))).toBe('JOB_HELD');
      const later = Date.now() + 20_000;
      expect(await registry.jobs.start(submitted.id, 'b', 10_000, later)).toMatchObject({
        worker: 'b',
        attempts: 2,
      });
      // b dies too: with both attempts spent, the next claimant finds nothing, and the job has failed
      expect(await registry.jobs.claim('c', 10_000, later + 20_000)).toBeUndefined();
      const failed = await registry.jobs.get(submitted.id);
      expect(failed).toMatchObject({ status: 'failed', worker: 'b' }); // the last to hold it
      expect(failed.error).toMatch(/its worker stopped without finishing, 2 of 2 attempts/);
      expect(await code(registry.jobs.start(submitted.id, 'c', 10_000))).toBe('JOB_FINISHED');
      // a running job asked to cancel whose worker died is cancelled, not run again
      const doomed = await job(registry);
      await registry.jobs.claim('d', 10_000);
      await registry.jobs.cancel(doomed.id);
      expect(await registry.jobs.claim('e', 10_000, Date.now() + 20_000)).toBeUndefined();
      expect((await registry.jobs.get(doomed.id)).status).toBe('cancelled');
      // one run where it is submitted: held from the start, so no worker claims it
      const held = await job(registry, 1, { heldBy: { worker: 'here', leaseMs: 10_000 } });
      expect(held).toMatchObject({ status: 'running', worker: 'here', attempts: 1 });
      expect(await registry.jobs.claim('f', 10_000)).toBeUndefined();
      await registry.jobs.abandon(held.id, 'gave up');
      expect(await registry.jobs.get(held.id)).toMatchObject({
        status: 'failed',
        error: 'gave up',
        worker: 'here',
      });
      // no claimant comes (a loop's own step, BullMQ workers only): ended all the same once lapsed,
      // while a live lease, or a lapsed one with attempts left, is left as it is
      const orphan = await registry.jobs.submit({
        kind: 'eval',
        args: ['eval'],
        cwd: '/tmp',
        queue: 'registry',
        maxAttempts: 1,
        actor: 'ana',
        heldBy: { worker: 'gone', leaseMs: 10_000 },
      });
      const retried = await job(registry, 2);
      await registry.jobs.start(retried.id, 'gone', 10_000);
      expect(await registry.jobs.endLapsedJobs()).toBe(0);
      // lapsed, but not by the grace another machine's clock is given
      expect(await registry.jobs.endLapsedJobs({ now: Date.now() + 20_000, graceMs: 30_000 })).toBe(0);
      expect(await registry.jobs.endLapsedJobs({ now: Date.now() + 20_000 })).toBe(1);
      expect(await registry.jobs.get(orphan.id)).toMatchObject({
        status: 'failed',
        error: 'its worker stopped without finishing, 1 of 1 attempts',
      });
      expect((await registry.jobs.get(retried.id)).status).toBe('running');
    });

    it("lists the BullMQ queue's jobs that should be on it: queued, or running with a lease lapsed past the grace", async () => {
      const registry = await fresh();
      const queued = await job(registry, 3, { queue: 'redis' });
      const running = await job(registry, 3, { queue: 'redis' });
      await registry.jobs.start(running.id, 'w', 10_000);
      await job(registry); // the registry's own queue: never on Redis
      const done = await job(registry, 3, { queue: 'redis' });
      await registry.jobs.cancel(done.id);
      const ids = async (now: number) =>
        (await registry.jobs.awaitingRedis({ graceMs: 30_000, now })).map((each) => each.id);
      expect(await ids(Date.now())).toEqual([queued.id]);
      expect(await ids(Date.now() + 20_000)).toEqual([queued.id]); // lapsed, not by the grace
      expect((await ids(Date.now() + 60_000)).sort()).toEqual([queued.id, running.id].sort());
    });

    it('retries a crashed attempt while attempts remain, and keeps the tail of the log', async () => {
      const registry = await fresh();
      const submitted = await job(registry, 2);
      await registry.jobs.claim('w', 10_000);
      const retried = await registry.jobs.finish(submitted.id, 'w', {
        status: 'failed',
        error: 'crashed',
        retry: true,
      });
      expect(retried).toMatchObject({ status: 'queued', attempts: 1 });
      await registry.jobs.claim('w', 10_000);
      await registry.jobs.heartbeat(submitted.id, 'w', {
        leaseMs: 1000,
        output: 'x'.repeat(jobLogLimit) + 'the end',
      });
      const failed = await registry.jobs.finish(submitted.id, 'w', {
        status: 'failed',
        error: 'crashed',
        retry: true,
      });
      expect(failed).toMatchObject({ status: 'failed', attempts: 2, error: 'crashed' });
      const stored = await registry.jobs.get(submitted.id);
      expect(stored.log.length).toBe(jobLogLimit);
      expect(stored.log.endsWith('the end')).toBe(true);
    });
  });
}
