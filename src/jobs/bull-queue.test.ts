// The BullMQ worker against a real Redis (Debian's redis-server) and a SQLite registry: a registry that
// is unreachable when the worker is handed a job, or when it records the job's end, is waited out (the
// job completes on its first attempt instead of BullMQ spending its attempts in a second); a job its
// registry does not know (a worker on another registry) is left in the queue for the workers of the
// registry it was submitted to, and said once. Between jobs, a registry lost to its lease-interval reads
// is said as REGISTRY_UNAVAILABLE once and when it is back, and a lost Redis is said naming Redis.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { describeRedis, startRedis } from '../../test/redis.js';
import { PromptuneError } from '../errors/index.js';
import { JobStore, Registry, type JobRecord } from '../registry/index.js';
import { dispatchToBull, openBullQueue, startBullWorker } from './bull-queue.js';
import { checkedRedisUrl } from './redis-url.js';

const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

async function registryWithJob(
  redisUrl: string,
): Promise<{ registry: Registry; job: JobRecord; listening: number | undefined }> {
  const folder = mkdtempSync(join(tmpdir(), 'promptune-bull-'));
  const registry = await Registry.open({ path: join(folder, 'registry.sqlite') });
  const job = await registry.jobs.submit({
    kind: 'eval',
    args: ['eval', '--help'], // exits 0 at once: the queue is what is tested
    cwd: folder,
    queue: 'redis',
    maxAttempts: 3,
    actor: 'test',
  });
  const listening = await dispatchToBull(await openBullQueue(redisUrl), job);
  return { registry, job, listening };
}

/** Resolves with the first job the worker finishes. */
function finishing() {
  let done: (job: JobRecord) => void = () => undefined;
  const finished = new Promise<JobRecord>((resolve) => (done = resolve));
  return { finished, onFinished: (job: JobRecord) => done(job) };
}

it('refuses what is not a Redis URL at once, naming it', () => {
  expect(() => checkedRedisUrl('http://127.0.0.1:6379')).toThrow(/is not a Redis URL/);
  expect(() => checkedRedisUrl('redis://127.0.0.1:6379/one')).toThrow(/is not a Redis URL/);
  expect(checkedRedisUrl('rediss://user:secret@cache.internal:6380/2')).toBe(
    'rediss://user:secret@cache.internal:6380/2',
  );
});

describeRedis('the BullMQ worker', (redisUrl) => {
  it('waits out a registry that is unreachable as it starts and ends a job: one attempt, recorded', async () => {
    const { registry, job } = await registryWithJob(redisUrl());
    // (registry.jobs is a store made at each use: its class is what is told to fail)
    vi.spyOn(JobStore.prototype, 'start').mockRejectedValueOnce(refused()).mockRejectedValueOnce(refused());
    vi.spyOn(JobStore.prototype, 'finish').mockRejectedValueOnce(refused());
    const errors: unknown[] = [];
    const { finished, onFinished } = finishing();
    const worker = await startBullWorker(registry, redisUrl(), {
      leaseMs: 5000,
      onFinished,
      onError: (error) => errors.push(error),
      onReconnected: () => errors.push('answers again'),
      onStarted: (started) => errors.push(`started ${started.id}`),
    });
    try {
      expect(await finished).toMatchObject({ id: job.id, status: 'completed', attempts: 1 });
      expect(await registry.jobs.get(job.id)).toMatchObject({ status: 'completed', attempts: 1 });
      const codes = errors.map((error) => (PromptuneError.isInstance(error) ? error.code : String(error)));
      // said once per outage (two here: as it started the job, as it ended it), and its end once
      expect(codes).toEqual([
        'REGISTRY_UNAVAILABLE',
        'answers again',
        `started ${job.id}`,
        'REGISTRY_UNAVAILABLE',
        'answers again',
      ]);
    } finally {
      vi.restoreAllMocks();
      await worker.close();
      await registry.close();
    }
  }, 60_000);

  it('takes a start whose answer the lost connection swallowed as started, not starting it again', async () => {
    const { registry, job } = await registryWithJob(redisUrl());
    const start = JobStore.prototype.start;
    vi.spyOn(JobStore.prototype, 'start').mockImplementationOnce(async function (
      this: JobStore,
      ...args: Parameters<JobStore['start']>
    ) {
      await start.apply(this, args); // committed, then the connection drops before the answer
      throw refused();
    });
    const { finished, onFinished } = finishing();
    const worker = await startBullWorker(registry, redisUrl(), { leaseMs: 5000, onFinished });
    try {
      expect(await finished).toMatchObject({ id: job.id, status: 'completed', attempts: 1 });
    } finally {
      vi.restoreAllMocks();
      await worker.close();
      await registry.close();
    }
  }, 60_000);

  it("puts back on the queue the jobs Redis lost (restarted without persistence): a queued one, and a dead worker's running one", async () => {
    const folder = mkdtempSync(join(tmpdir(), 'promptune-bull-'));
    const registry = await Registry.open({ path: join(folder, 'registry.sqlite') });
    const submit = () =>
      registry.jobs.submit({
        kind: 'eval',
        args: ['eval', '--help'],
        cwd: folder,
        queue: 'redis',
        maxAttempts: 3,
        actor: 'test',
      });
    // recorded, and on the queue once; Redis then loses both (nothing is on it)
    const queued = await submit();
    const running = await submit();
    // its worker died holding it a minute ago, after Redis had lost it
    await registry.jobs.start(running.id, 'dead-worker', 1000, Date.now() - 60_000);
    const requeued: string[] = [];
    const finished: JobRecord[] = [];
    const worker = await startBullWorker(registry, redisUrl(), {
      leaseMs: 5000,
      onRequeued: (job) => requeued.push(job.id),
      onFinished: (job) => finished.push(job),
    });
    try {
      for (let wait = 0; wait < 200 && finished.length < 2; wait++)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(requeued.sort()).toEqual([queued.id, running.id].sort());
      expect(await registry.jobs.get(queued.id)).toMatchObject({ status: 'completed', attempts: 1 });
      expect(await registry.jobs.get(running.id)).toMatchObject({ status: 'completed', attempts: 2 });
    } finally {
      await worker.close();
      await registry.close();
    }
  }, 60_000);

  it("leaves a job of another registry in the queue for that registry's workers, spending no attempt", async () => {
    const { registry, job, listening } = await registryWithJob(redisUrl());
    expect(listening).toBe(0); // the submit is told no worker listens yet
    const other = await Registry.open({
      path: join(mkdtempSync(join(tmpdir(), 'promptune-bull-')), 'r.sqlite'),
    });
    const errors: unknown[] = [];
    const stranger = await startBullWorker(other, redisUrl(), {
      leaseMs: 5000,
      onError: (error) => errors.push(error),
    });
    try {
      for (let wait = 0; wait < 100 && errors.length === 0; wait++)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: 'JOB_OTHER_REGISTRY' });
      expect((errors[0] as Error).message).toContain(job.id);
      // a worker listens now (on another registry, which the queue cannot tell); the same job id is not
      // queued twice
      expect(await dispatchToBull(await openBullQueue(redisUrl()), job)).toBe(1);
      await stranger.close();
      const { finished, onFinished } = finishing();
      const owner = await startBullWorker(registry, redisUrl(), { leaseMs: 5000, onFinished });
      try {
        expect(await finished).toMatchObject({ id: job.id, status: 'completed', attempts: 1 });
      } finally {
        await owner.close();
      }
    } finally {
      await stranger.close();
      await other.close();
      await registry.close();
    }
  }, 60_000);
});

describeRedis('the BullMQ worker between jobs', (redisUrl) => {
  it('says a registry lost during its lease-interval reads as REGISTRY_UNAVAILABLE once, and when it answers again', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'promptune-bull-'));
    const registry = await Registry.open({ path: join(folder, 'registry.sqlite') });
    // two intervals' reads find the database away, the third finds it back
    vi.spyOn(JobStore.prototype, 'endLapsedJobs')
      .mockRejectedValueOnce(refused())
      .mockRejectedValueOnce(refused());
    const said: string[] = [];
    const worker = await startBullWorker(registry, redisUrl(), {
      leaseMs: 2000,
      onError: (error) =>
        said.push(
          PromptuneError.isInstance(error) ? `${error.code}: ${error.message}` : `bare: ${String(error)}`,
        ),
      onReconnected: () => said.push('answers again'),
    });
    try {
      for (let wait = 0; wait < 200 && !said.includes('answers again'); wait++)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(said).toEqual([
        "REGISTRY_UNAVAILABLE: the registry's database is unreachable (connect ECONNREFUSED 127.0.0.1:5432); waiting for it",
        'answers again',
      ]);
    } finally {
      vi.restoreAllMocks();
      await worker.close();
      await registry.close();
    }
  }, 60_000);

  it('names Redis when its connection is lost', async () => {
    const own = await startRedis();
    const folder = mkdtempSync(join(tmpdir(), 'promptune-bull-'));
    const registry = await Registry.open({ path: join(folder, 'registry.sqlite') });
    const said: unknown[] = [];
    const worker = await startBullWorker(registry, own.url, {
      leaseMs: 2000,
      onError: (error) => said.push(error),
    });
    try {
      await own.stop();
      for (let wait = 0; wait < 200 && said.length === 0; wait++)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(said[0]).toMatchObject({ code: 'CONNECTION_FAILED' });
      expect((said[0] as Error).message).toMatch(new RegExp(`^Redis at ${own.url} is unreachable \\(`));
    } finally {
      await worker.close({ abandon: true });
      await registry.close();
    }
  }, 60_000);
});
