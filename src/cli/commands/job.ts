// `promptune job`: submit long work (an evaluation, optimization, soft-prompt training or audit) as a
// job for workers (`promptune worker`, or `promptune serve`, which runs the registry queue itself),
// list jobs, show one with its output (following it while it runs), cancel one, or run one here.
import { defineCommand } from 'citty';
import { cutText, redactedUrl, ValidationError } from '../../errors/index.js';
import { runJob, submitJob, workerName } from '../../jobs/index.js';
import { jobStatuses, type JobSummary } from '../../registry/index.js';
import { choice, numberOption } from '../options.js';
import { isoSeconds } from '../iso-seconds.js';
import { checkJobOptions } from '../job-option-checks.js';
import { registryOption, withRegistry } from '../registry-access.js';

const print = (text: string) => process.stdout.write(`${text}\n`);
const time = (at: number | null) => (at === null ? '-' : isoSeconds(at));

/** The command line after `--` (what the job runs). */
function commandAfterDashes(rawArgs: string[]): string[] {
  const at = rawArgs.indexOf('--');
  if (at < 0 || at === rawArgs.length - 1)
    throw new ValidationError('no command to run', {
      code: 'JOB_BAD_COMMAND',
      hint: 'Give the command after --, e.g. promptune job submit -- eval --task task.yaml --model ...',
    });
  return rawArgs.slice(at + 1);
}

/**
 * What `log` holds past what was shown (`shown`, an earlier read of it): the log keeps a tail, so what
 * was shown is found by its end, and all of `log` is new when it is not found.
 */
export function unseen(shown: string, log: string): string {
  if (!shown) return log;
  if (log.startsWith(shown)) return log.slice(shown.length);
  const end = shown.slice(-200);
  const at = log.lastIndexOf(end);
  return at >= 0 ? log.slice(at + end.length) : log;
}

/** A job's summary line. */
const line = (job: JobSummary) =>
  `${job.id}  ${job.kind.padEnd(10)} ${job.status.padEnd(10)} attempt ${job.attempts}/${job.maxAttempts}  ${job.queue.padEnd(8)} ${time(job.createdAt)}  ${cutText(job.args.join(' '), 80)}`;

const redisOption = {
  type: 'string',
  description:
    'Dispatch through BullMQ on this Redis (default: REDIS_URL; without either, the registry queue)',
} as const;

const submit = defineCommand({
  meta: {
    name: 'submit',
    description:
      'Queue a command (eval, optimize, soft train, soft train-multitask, compare-methods, audit, loop) as a job: -- <command>',
  },
  args: {
    db: registryOption,
    redis: redisOption,
    attempts: {
      type: 'string',
      default: '3',
      description: 'Attempts before it fails (a crashed worker counts)',
    },
    json: { type: 'boolean', description: 'Print JSON' },
  },
  async run({ args, rawArgs }) {
    // refused before the registry is opened (or a --db file made): nothing it holds is needed
    const command = commandAfterDashes(rawArgs);
    await checkJobOptions(command);
    await withRegistry(args, async (registry, actor) => {
      const redisUrl = args.redis ?? process.env.REDIS_URL;
      const job = await submitJob(registry, {
        args: command,
        cwd: process.cwd(),
        actor: actor.name,
        maxAttempts: numberOption('attempts', args.attempts, { integer: true, min: 1, max: 20 }),
        redisUrl,
        // a job no worker listens for waits unseen: say so now, not when someone wonders why
        onDispatched: (workers) => {
          if (workers === 0)
            process.stderr.write(
              `warning: no worker listens on the BullMQ queue at ${redactedUrl(redisUrl!)}: the job waits until one starts (promptune worker --redis <url>, on this registry)\n`,
            );
        },
      });
      if (args.json) return print(JSON.stringify(job, null, 2));
      print(`queued ${job.id} (${job.kind}) on the ${job.queue} queue`);
      print(`  follow it with: promptune job show ${job.id} --follow`);
    });
  },
});

const run = defineCommand({
  meta: {
    name: 'run',
    description: 'Run a command as a job in this process (recorded, resumable): -- <command>',
  },
  args: {
    db: registryOption,
    attempts: { type: 'string', default: '3', description: 'Attempts (a crash is retried)' },
  },
  async run({ args, rawArgs }) {
    const command = commandAfterDashes(rawArgs);
    await checkJobOptions(command);
    await withRegistry(args, async (registry, actor) => {
      // held by this process from the start (workers leave it alone), a crashed attempt retried here
      const name = workerName();
      const leaseMs = 30_000;
      let job = await submitJob(registry, {
        args: command,
        cwd: process.cwd(),
        actor: actor.name,
        maxAttempts: numberOption('attempts', args.attempts, { integer: true, min: 1, max: 20 }),
        heldBy: { worker: name, leaseMs },
      });
      print(`running ${job.id} (${job.kind})`);
      const onOutput = (text: string) => process.stdout.write(text);
      while (job.status === 'running' && job.worker === name) {
        job = await runJob(registry.jobs, job, name, { onOutput, leaseMs });
        if (job.status === 'queued') job = await registry.jobs.start(job.id, name, leaseMs);
      }
      if (job.status === 'running') print(`${job.id} was taken over by ${job.worker}`);
      print(`${job.id} ${job.status}${job.error ? `: ${job.error}` : ''}`);
      if (job.status !== 'completed') process.exitCode = 1;
    });
  },
});

const list = defineCommand({
  meta: { name: 'ls', description: 'Jobs, newest first' },
  args: {
    db: registryOption,
    status: { type: 'string', description: `Only those in this status (${jobStatuses.join(', ')})` },
    limit: { type: 'string', default: '100', description: 'How many, newest first' },
    json: { type: 'boolean', description: 'Print JSON' },
  },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      const status = args.status ? choice('status', args.status, jobStatuses) : undefined;
      const limit = numberOption('limit', args.limit, { integer: true, min: 1, max: 10_000 });
      const { data: jobs, next } = await registry.jobs.list({ status }, { limit });
      if (args.json) return print(JSON.stringify(jobs, null, 2));
      if (jobs.length === 0) print('no jobs (queue one: promptune job submit -- eval ...)');
      for (const job of jobs) print(line(job));
      if (next) print(`(the ${limit} newest; older ones with --limit, or --status to narrow)`);
    }),
});

const show = defineCommand({
  meta: { name: 'show', description: 'A job and its output' },
  args: {
    job: { type: 'positional', required: true, description: 'The job id, or its first hex digits' },
    db: registryOption,
    follow: { type: 'boolean', description: 'Print its output as it comes, until it ends' },
    json: { type: 'boolean', description: 'Print JSON' },
  },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      let job = await registry.jobs.find(args.job);
      if (args.json) return print(JSON.stringify(job, null, 2));
      print(line(job));
      print(
        `  in ${job.cwd}; started ${time(job.startedAt)}, last heard ${time(job.heartbeatAt)}${job.worker ? ` from ${job.worker}` : ''}`,
      );
      if (job.error) print(`  error: ${job.error}`);
      const runs = Array.isArray(job.result?.runs) ? (job.result.runs as string[]) : [];
      if (runs.length) print(`  runs it recorded: ${runs.join(', ')} (promptune runs show <id>)`);
      let shown = job.log;
      process.stdout.write(shown);
      while (args.follow && (job.status === 'queued' || job.status === 'running')) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        job = await registry.jobs.get(job.id);
        process.stdout.write(unseen(shown, job.log));
        shown = job.log;
      }
      if (args.follow) print(`\n${job.id} ${job.status}${job.error ? `: ${job.error}` : ''}`);
    }),
});

const cancel = defineCommand({
  meta: { name: 'cancel', description: 'Cancel a job (a running one stops at its next heartbeat)' },
  args: {
    job: { type: 'positional', required: true, description: 'The job id, or its first hex digits' },
    db: registryOption,
    json: { type: 'boolean', description: 'Print the job as JSON' },
  },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      const job = await registry.jobs.cancel((await registry.jobs.find(args.job)).id);
      if (args.json) return print(JSON.stringify(job, null, 2));
      // a worker heard from lately sees the request at its next heartbeat; a silent one may be dead
      const silentFor = job.heartbeatAt === null ? 0 : Date.now() - job.heartbeatAt;
      print(
        job.status === 'cancelled'
          ? `cancelled ${job.id}`
          : silentFor < 10_000
            ? `asked ${job.id} to stop; its worker ends it within a second`
            : `asked ${job.id} to stop; its worker has not been heard from for ${Math.round(silentFor / 1000)} s, so it ends when its lease lapses (${job.leaseUntil === null ? 'soon' : new Date(job.leaseUntil).toISOString()}) or the next claim or BullMQ worker sees it`,
      );
    }),
});

export default defineCommand({
  meta: { name: 'job', description: 'Jobs: submit, run, ls, show, cancel' },
  subCommands: { submit, run, ls: list, show, cancel },
});
