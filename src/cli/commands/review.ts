// `promptune review`: human review from the terminal. An admin creates queues (a config file holds the
// rubric, reviewers and rules), feeds them from served traffic or adds items by hand (traces, an
// evaluation's failures), reads agreement and a judge's calibration, and writes the agreed corrections
// as the task's next dataset version. Reviewers take items with `review next` (see review-terminal.ts),
// against the service (--url, a review key) or the registry itself.
import { defineCommand } from 'citty';
import { readYamlFile, ValidationError } from '../../errors/index.js';
import { timeWindow } from '../../observe/index.js';
import { writeDatasetVersion } from '../../registry/index.js';
import {
  addEvaluationFailures,
  addTraces,
  correctionsToDataset,
  createReviewQueue,
  feedQueue,
  judgeCalibration,
  pendingCorrections,
  queueAgreement,
  queueConfigSchema,
  type AgreementEstimate,
  type PendingCorrections,
  type NamedAgreement,
} from '../../review/index.js';
import { givenOptions, numberOption, refuseIgnored, seedOption } from '../options.js';
import { operatorName, registryOption, withRegistry } from '../registry-access.js';
import { httpReviewClient, registryReviewClient } from '../review-client.js';
import { reviewInTerminal } from '../review-terminal.js';
import { textColumns } from '../text-columns.js';

const print = (json: boolean | undefined, value: unknown, text: string) =>
  void process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : text);

/** A queue config file (YAML or JSON), read through its schema. */
function readQueueConfig(path: string) {
  return readYamlFile(path, queueConfigSchema, {
    where: `queue config ${path}`,
    code: 'REVIEW_INVALID',
    hint: 'See the queue config in docs/review.md.',
    notFoundCode: 'REVIEW_CONFIG_NOT_FOUND',
    notFoundHint:
      'Pass --config with a YAML or JSON file (see docs/review.md), or leave it out for the defaults.',
  });
}

const create = defineCommand({
  meta: { name: 'create', description: 'Create a review queue for a task' },
  args: {
    db: registryOption,
    name: { type: 'positional', required: true, description: 'Queue name' },
    task: { type: 'string', required: true, description: 'The task it reviews (in the registry)' },
    config: {
      type: 'string',
      description: 'YAML or JSON: reviewsPerItem, reservationMs, rubric, reviewers (key names), rules',
    },
    json: { type: 'boolean', description: 'Print JSON' },
  },
  run: ({ args }) =>
    withRegistry(args, async (registry, actor) => {
      const config = args.config ? readQueueConfig(args.config) : {};
      const queue = await createReviewQueue(registry, {
        name: args.name,
        task: args.task,
        actor: actor.name,
        config,
      });
      print(
        args.json,
        queue,
        `created queue ${queue.name} for ${queue.task}: ${queue.reviewsPerItem} review(s) per item, ${queue.rules.length} rule(s)\n`,
      );
    }),
});

const queues = defineCommand({
  meta: { name: 'queues', description: 'List review queues with their progress' },
  args: { db: registryOption, json: { type: 'boolean', description: 'Print JSON' } },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      const listed = await Promise.all(
        (await registry.review.listQueues()).map(async (queue) => ({
          ...queue,
          progress: await registry.review.progress(queue.name),
        })),
      );
      print(
        args.json,
        listed,
        listed.length === 0
          ? 'no queues (create one with promptune review create)\n'
          : textColumns([
              ['queue', 'task', 'reviewed', 'reviewers'],
              ...listed.map((queue) => [
                queue.name,
                queue.task,
                `${queue.progress.reviewed}/${queue.progress.items}`,
                queue.reviewers.join(', ') || 'any',
              ]),
            ]),
      );
    }),
});

const feed = defineCommand({
  meta: { name: 'feed', description: 'Queue the served traces its rules match (each trace once)' },
  args: {
    db: registryOption,
    queue: { type: 'positional', required: true, description: 'Queue name' },
    since: { type: 'string', default: '24h', description: 'From: a duration ago or an ISO time' },
    until: { type: 'string', description: 'To (default now)' },
    limit: { type: 'string', description: 'Queue at most this many items (the newest traces first)' },
  },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      const window = timeWindow(args, Date.now(), {
        since: '--since',
        until: '--until',
        code: 'CLI_INVALID_OPTION',
      });
      const limit = numberOption('limit', args.limit, { integer: true, min: 1 });
      const { added, repeated, overLimit } = await feedQueue(registry, args.queue, window, { limit });
      const left = [
        repeated ? `${repeated} whose input the queue already holds` : '',
        overLimit ? `${overLimit} past --limit ${limit}` : '',
      ].filter(Boolean);
      process.stdout.write(
        `queued ${added.length} item(s) in ${args.queue}${added.length === 0 && left.length === 0 ? ' (no trace of the window matches its rules that is not queued already)' : ''}${left.length ? `; left out ${left.join(', ')}` : ''}\n`,
      );
    }),
});

const assign = defineCommand({
  meta: {
    name: 'assign',
    description: 'Set who reviews a queue (items a dropped reviewer holds are given back)',
  },
  args: {
    db: registryOption,
    queue: { type: 'positional', required: true, description: 'Queue name' },
    reviewers: {
      type: 'string',
      required: true,
      description: "Key names, comma-separated; '' opens the queue to every key with the review scope",
    },
  },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      const names = args.reviewers
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean);
      // a name no live key has is likely a typo: it would shut the meant reviewer out
      const live = new Set((await registry.keys.list()).filter((key) => !key.revoked).map((key) => key.name));
      for (const name of names.filter((each) => !live.has(each)))
        process.stderr.write(
          `warning: no live key is named ${name} (a reviewer through the service needs one; see promptune keys ls)\n`,
        );
      const queue = await registry.review.setReviewers(args.queue, names);
      process.stdout.write(
        `${queue.name} is reviewed by ${queue.reviewers.join(', ') || 'every key with the review scope'}\n`,
      );
    }),
});

const add = defineCommand({
  meta: { name: 'add', description: 'Add items by hand: traces by id, or the failures of an evaluation run' },
  args: {
    db: registryOption,
    queue: { type: 'positional', required: true, description: 'Queue name' },
    traces: { type: 'string', description: 'Trace ids, comma-separated' },
    run: { type: 'string', description: 'An evaluation run id (eval --push): its failed examples' },
  },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      if ((args.traces === undefined) === (args.run === undefined))
        throw new ValidationError('give one of --traces or --run', {
          code: 'CLI_INVALID_OPTION',
          hint: 'Pass --traces id,id or --run <evaluation run id>.',
        });
      const traces = args.traces
        ?.split(',')
        .map((id) => id.trim())
        .filter(Boolean);
      if (traces?.length === 0)
        throw new ValidationError('--traces names no trace', {
          code: 'CLI_INVALID_OPTION',
          hint: 'Pass trace ids, comma-separated (GET /v1/traces or the dashboard lists them).',
        });
      const queue = await registry.review.getQueue(args.queue);
      const added = traces
        ? await addTraces(registry, queue, traces)
        : await addEvaluationFailures(registry, queue, args.run!);
      process.stdout.write(`queued ${added.length} item(s) in ${queue.name}\n`);
    }),
});

const next = defineCommand({
  meta: { name: 'next', description: 'Review items one after another in the terminal' },
  args: {
    db: registryOption,
    queue: { type: 'string', required: true, description: 'Queue name' },
    url: { type: 'string', description: 'Review through a service (else the registry at --db)' },
    key: { type: 'string', description: 'API key with the review scope (default: $PROMPTUNE_API_KEY)' },
    disputes: {
      type: 'boolean',
      description: 'Settle the items reviewers disagree on, seeing their decisions (admin)',
    },
  },
  async run({ args }) {
    const mode = { disputes: args.disputes === true };
    const io = {
      input: process.stdin,
      output: process.stdout,
      editor: process.env.VISUAL || process.env.EDITOR || 'vi',
    };
    if (args.url) {
      const key = args.key ?? process.env.PROMPTUNE_API_KEY;
      if (!key)
        throw new ValidationError('no API key for the service', {
          code: 'CLI_INVALID_OPTION',
          hint: 'Pass --key or set PROMPTUNE_API_KEY to a key with the review scope.',
        });
      await reviewInTerminal(await httpReviewClient(args.url, key, mode), args.queue, io);
      return;
    }
    await withRegistry(args, (registry) =>
      reviewInTerminal(registryReviewClient(registry, operatorName(), mode), args.queue, io),
    );
  },
});

const describeAgreement = (label: string, estimate: NamedAgreement) =>
  `${label.padEnd(20)} ${estimate.statistic.padEnd(19)} ${estimate.value === null ? `n/a (${estimate.reason})` : `${estimate.value.toFixed(3)}  95% [${estimate.interval![0].toFixed(3)}, ${estimate.interval![1].toFixed(3)}]`}  items ${estimate.items}${estimate.observed === undefined || estimate.observed === null ? '' : `  pairs agreeing ${(estimate.observed * 100).toFixed(1)}%`}\n`;

const agreement = defineCommand({
  meta: {
    name: 'agreement',
    description: "The reviewers' agreement on answers, decisions and rubric items, with intervals",
  },
  args: {
    db: registryOption,
    queue: { type: 'positional', required: true, description: 'Queue name' },
    json: { type: 'boolean', description: 'Print JSON' },
  },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      const queue = await registry.review.getQueue(args.queue);
      const report = queueAgreement(queue, await registry.review.decisions(queue.name), {
        spec: await registry.getTask(queue.task),
        items: await registry.review.items(queue.name),
      });
      const progress = await registry.review.progress(queue.name);
      print(
        args.json,
        { queue: queue.name, ...report, progress },
        `reviewers: ${report.reviewers.join(', ') || 'none yet'}; ${progress.reviewed}/${progress.items} items reviewed\n` +
          (report.answer ? describeAgreement('answer', report.answer) : '') +
          describeAgreement('decision', report.decision) +
          Object.entries(report.rubric)
            .map(([name, estimate]) => describeAgreement(name, estimate))
            .join('') +
          Object.entries(progress.reviewers)
            .map(
              ([reviewer, counts]) =>
                `  ${reviewer}: ${Object.entries(counts)
                  .map(([kind, n]) => `${kind} ${n}`)
                  .join(', ')}\n`,
            )
            .join(''),
      );
    }),
});

const describeKappa = (kappa: AgreementEstimate) =>
  kappa.value === null
    ? `n/a (${kappa.reason})`
    : `${kappa.value.toFixed(3)} 95% [${kappa.interval![0].toFixed(3)}, ${kappa.interval![1].toFixed(3)}]`;

const calibrate = defineCommand({
  meta: { name: 'calibrate', description: "How far an LLM judge's score agrees with the reviewers" },
  args: {
    db: registryOption,
    queue: { type: 'positional', required: true, description: 'Queue name' },
    score: { type: 'string', required: true, description: "The judge's score name (an online evaluator's)" },
    threshold: { type: 'string', description: 'Numeric scores: good at or above this (default 0.5)' },
    json: { type: 'boolean', description: 'Print JSON' },
  },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      const report = await judgeCalibration(registry, args.queue, {
        score: args.score,
        threshold: numberOption('threshold', args.threshold),
      });
      const { kappa, confusion } = report;
      print(
        args.json,
        report,
        `judge ${report.score} on ${report.items} reviewed item(s): ${report.verdict}\n` +
          `kappa ${describeKappa(kappa)}, agreement ${report.agreement === null ? 'n/a' : `${(100 * report.agreement).toFixed(1)}%`}\n` +
          `both good ${confusion.bothGood}, both bad ${confusion.bothBad}, judge good but reviewers bad ${confusion.judgeGoodHumansBad}, judge bad but reviewers good ${confusion.judgeBadHumansGood}\n`,
      );
    }),
});

/** `train=0.8,dev=0.2` as shares by split. */
function splitShares(text: string | undefined): Record<string, number> | undefined {
  if (text === undefined) return undefined;
  return Object.fromEntries(
    text.split(',').map((part) => {
      const [split, share] = part.split('=');
      if (!/^[a-z]+$/.test(split ?? '') || share === undefined)
        throw new ValidationError(`--splits part "${part}"`, {
          code: 'CLI_INVALID_OPTION',
          hint: 'Pass --splits as split=share pairs, e.g. train=0.8,dev=0.2.',
        });
      return [split, numberOption('splits', share, { min: 0 })!];
    }),
  );
}

/**
 * The end of what `review dataset` says, written or not: duplicates left out, rows held back by reason,
 * and how to settle disagreements when some are.
 */
function leftOutText(duplicates: number, held: PendingCorrections['held'], queue: string): string {
  const reasons = new Map<string, number>();
  for (const each of held) reasons.set(each.reason, (reasons.get(each.reason) ?? 0) + 1);
  return (
    `; ${duplicates} duplicate(s) left out` +
    (reasons.size ? `; held back: ${[...reasons].map(([reason, n]) => `${n} ${reason}`).join(', ')}` : '') +
    (reasons.has('disagreement')
      ? `\nsettle the disagreements (seeing each reviewer's decision): promptune review next --queue ${queue} --disputes`
      : '')
  );
}

/** What a dry run of `review dataset` says: the rows it would add and hold back, on which version. */
function pendingSummary(pending: PendingCorrections, queue: string): string {
  const added = Object.entries(pending.added).filter(([, n]) => n > 0);
  return (
    (added.length
      ? `would add ${added.map(([split, n]) => `${n} to ${split}`).join(', ')} to dataset version ${pending.base}`
      : `would add nothing to dataset version ${pending.base}`) +
    leftOutText(pending.duplicates, pending.held, queue) +
    '\nnothing written (without --dry-run it writes them)'
  );
}

const dataset = defineCommand({
  meta: {
    name: 'dataset',
    description: "Write the queue's agreed corrections as the task's next dataset version",
  },
  args: {
    db: registryOption,
    queue: { type: 'positional', required: true, description: 'Queue name' },
    base: { type: 'string', description: 'The dataset version to add to (default: the latest)' },
    splits: { type: 'string', description: 'Shares of new rows by split (default train=0.8,dev=0.2)' },
    seed: { type: 'string', default: '0', description: 'Seed of the split rule' },
    out: { type: 'string', description: 'Also write the version as <out>/<split>.jsonl' },
    'dry-run': { type: 'boolean', description: 'Say what would be added and held back; write nothing' },
    json: { type: 'boolean', description: 'Print JSON' },
  },
  run: ({ args, rawArgs }) =>
    withRegistry(args, async (registry, actor) => {
      const options = {
        base: numberOption('base', args.base, { integer: true, min: 1 }),
        splits: splitShares(args.splits),
        seed: seedOption(args.seed),
        actor: actor.name,
      };
      if (args['dry-run']) {
        refuseIgnored(
          givenOptions(rawArgs),
          ['out'],
          'a dry run writes no version',
          () => 'Drop --out, or --dry-run.',
        );
        const pending = await pendingCorrections(registry, args.queue, options);
        return print(args.json, pending, `${pendingSummary(pending, args.queue)}\n`);
      }
      const result = await correctionsToDataset(registry, args.queue, options);
      if (args.out) await writeDatasetVersion(registry, result.version, args.out);
      const added = Object.entries(result.added).filter(([, n]) => n > 0);
      print(
        args.json,
        result,
        (result.created
          ? `${result.version.task} dataset version ${result.version.number} (from ${result.version.parent ?? 'nothing'}): added ${added
              .map(([split, n]) => `${n} to ${split}`)
              .join(', ')}`
          : added.length
            ? `nothing written: these rows are ${result.version.task} dataset version ${result.version.number} already`
            : `no new rows: ${result.version.task} stays at dataset version ${result.version.number}`) +
          leftOutText(result.duplicates, result.held, args.queue) +
          (args.out
            ? `\n${result.created ? '' : `version ${result.version.number} `}written to ${args.out}`
            : '') +
          '\n',
      );
    }),
});

export default defineCommand({
  meta: {
    name: 'review',
    description: 'Human review: queues, reviewing, agreement, corrections to datasets',
  },
  subCommands: { create, queues, assign, feed, add, next, agreement, calibrate, dataset },
});
