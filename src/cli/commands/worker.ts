// `promptune worker`: runs jobs until stopped (SIGINT or SIGTERM: the jobs under way finish first; a
// second signal puts them back in the queue), from
// the registry's own queue, or from BullMQ on Redis with --redis (or REDIS_URL). Workers on any number
// of machines may share one registry (Postgres, with DATABASE_URL) and the jobs' folders.
import { defineCommand } from 'citty';
import { resolve } from 'node:path';
import { PromptuneError, redactedUrl, ValidationError } from '../../errors/index.js';
import { parseDuration } from '../../observe/index.js';
import { RegistryJobWorker, startBullWorker, workerName } from '../../jobs/index.js';
import type { JobRecord } from '../../registry/index.js';
import { numberOption } from '../options.js';
import { registryLocation, registryOption, withRegistry } from '../registry-access.js';

export default defineCommand({
  meta: { name: 'worker', description: 'Run queued jobs (the registry queue, or BullMQ with --redis)' },
  args: {
    db: registryOption,
    redis: { type: 'string', description: 'Take jobs from BullMQ on this Redis (default: REDIS_URL)' },
    concurrency: { type: 'string', default: '1', description: 'Jobs at once' },
    lease: {
      type: 'string',
      default: '30s',
      description:
        'How long a job stays this worker’s without a heartbeat (a dead worker’s job moves on after it)',
    },
    once: { type: 'boolean', description: 'Run what is queued (registry queue only) and exit' },
  },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      const leaseMs = parseDuration(args.lease, '--lease');
      // a lease shorter than a heartbeat or two would hand every job on while it runs
      if (leaseMs < 2000)
        throw new ValidationError(`--lease ${args.lease} is shorter than 2 s`, {
          code: 'CLI_INVALID_OPTION',
          hint: 'Give --lease 2s or more (default 30s): a job moves on to another worker when its lease lapses.',
        });
      const concurrency = numberOption('concurrency', args.concurrency, { integer: true, min: 1, max: 64 })!;
      const redisUrl = args.redis ?? process.env.REDIS_URL;
      if (args.once && redisUrl)
        throw new ValidationError(
          `--once drains the registry queue; a worker on BullMQ${args.redis ? '' : ' (REDIS_URL is set)'} runs until it is stopped`,
          {
            code: 'CLI_INVALID_OPTION',
            hint: args.redis
              ? 'Leave out --once (stop the worker with SIGINT or SIGTERM), or --redis to drain the registry queue.'
              : 'Leave out --once, or unset REDIS_URL to drain the registry queue.',
          },
        );
      const name = workerName();
      const onStarted = (job: JobRecord) =>
        process.stdout.write(
          `${job.id} started (attempt ${job.attempts} of ${job.maxAttempts}): promptune ${job.args.join(' ')} in ${job.cwd}\n`,
        );
      const onFinished = (job: JobRecord) =>
        process.stdout.write(`${job.id} ${job.status}${job.error ? `: ${job.error}` : ''}\n`);
      // a lost connection's error repeats every retry: said once until another error comes; others each time
      let said = '';
      const onError = (error: unknown) => {
        const text = PromptuneError.isInstance(error)
          ? `${error.message} (code ${error.code})`
          : error instanceof Error
            ? error.message
            : String(error);
        const connection =
          /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|Connection is closed/.test(text);
        if (connection && text === said) return;
        said = text;
        process.stderr.write(`worker: ${text}${connection ? ' (retrying)' : ''}\n`);
      };
      if (args.once && !redisUrl) {
        await new RegistryJobWorker(registry, { leaseMs, name, onStarted, onFinished, onError }).drainQueue();
        return;
      }
      // a Redis that does not answer in 10 s is refused (CONNECTION_FAILED), as job submit refuses it
      const onReconnected = () => {
        said = '';
        process.stderr.write("worker: the registry's database answers again\n");
      };
      const onRequeued = (job: JobRecord) =>
        process.stderr.write(
          `worker: ${job.id} was ${job.status} in the registry but not on the BullMQ queue (Redis lost it: restarted without persistence, flushed or failed over); put back on it\n`,
        );
      const running = { leaseMs, concurrency, name, onStarted, onFinished, onError };
      const worker = redisUrl
        ? await startBullWorker(registry, redisUrl, { ...running, onReconnected, onRequeued })
        : new RegistryJobWorker(registry, running).start();
      // the registry it records jobs in: a worker on another one than the submitters' would see none of theirs
      const location = registryLocation(args.db);
      const recorded = location.url ? redactedUrl(location.url) : resolve(location.path ?? args.db);
      process.stdout.write(
        `worker ${name} taking jobs from ${redisUrl ? `BullMQ on Redis ${redactedUrl(redisUrl)}` : 'the registry queue'}, registry ${recorded}\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      // the jobs under way finish first; a second signal stops them and puts them back in the queue
      process.stdout.write(
        'stopping: the jobs under way finish first (signal again to put them back in the queue)\n',
      );
      const abandon = () =>
        void ('close' in worker ? worker.close({ abandon: true }) : worker.stop({ abandon: true }));
      process.once('SIGINT', abandon);
      process.once('SIGTERM', abandon);
      await ('close' in worker ? worker.close() : worker.stop());
    }),
});
