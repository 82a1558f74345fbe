// `promptune scores`: what a score name's values may be (configs: numeric with a range, boolean, or
// categorical with its categories), set before feedback arrives or read back; `ls` lists given scores.
// A name without a config gets one from its first score (its kind only).
import { defineCommand } from 'citty';
import { ValidationError } from '../../errors/index.js';
import { parseTimeReference } from '../../observe/index.js';
import type { ScoreKind } from '../../registry/index.js';
import { numberOption } from '../options.js';
import { registryOption, withRegistry } from '../registry-access.js';

/** A config in one line: name, kind, its range or categories, and what it means. */
function configLine(config: {
  name: string;
  kind: string;
  minimum?: number | null;
  maximum?: number | null;
  categories?: string[] | null;
  description?: string | null;
}): string {
  const values =
    config.kind === 'numeric'
      ? `[${config.minimum ?? '-∞'}, ${config.maximum ?? '∞'}]`
      : (config.categories?.join(', ') ?? '');
  return `${config.name.padEnd(20)} ${config.kind.padEnd(12)} ${values}  ${config.description ?? ''}`.trimEnd();
}

const configure = defineCommand({
  meta: { name: 'configure', description: 'Set what a score name’s values may be' },
  args: {
    db: registryOption,
    name: { type: 'positional', required: true, description: 'The score name (e.g. helpful)' },
    kind: { type: 'string', required: true, description: 'numeric, boolean or categorical' },
    min: { type: 'string', description: 'Smallest numeric value' },
    max: { type: 'string', description: 'Largest numeric value' },
    categories: { type: 'string', description: 'Categorical values, comma-separated' },
    description: { type: 'string', description: 'What the score means, for reviewers and dashboards' },
    json: { type: 'boolean', description: 'Print the config as JSON' },
  },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      if (!['numeric', 'boolean', 'categorical'].includes(args.kind))
        throw new ValidationError(`--kind "${args.kind}" is not numeric, boolean or categorical`, {
          code: 'CLI_INVALID_OPTION',
          hint: 'Pass --kind numeric (with --min/--max), boolean, or categorical (with --categories).',
        });
      const config = await registry.scores.setConfig({
        name: args.name,
        kind: args.kind as ScoreKind,
        minimum: numberOption('min', args.min),
        maximum: numberOption('max', args.max),
        categories: args.categories?.split(',').map((category) => category.trim()),
        description: args.description,
      });
      process.stdout.write(
        args.json ? `${JSON.stringify(config, null, 2)}\n` : `configured ${configLine(config)}\n`,
      );
    }),
});

const configs = defineCommand({
  meta: { name: 'configs', description: 'List score configs' },
  args: { db: registryOption, json: { type: 'boolean', description: 'Print JSON' } },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      const listed = await registry.scores.listConfigs();
      if (args.json) return void process.stdout.write(`${JSON.stringify(listed, null, 2)}\n`);
      for (const config of listed) process.stdout.write(`${configLine(config)}\n`);
    }),
});

const list = defineCommand({
  meta: { name: 'ls', description: 'List scores, newest first (by the scored request’s time)' },
  args: {
    db: registryOption,
    task: { type: 'string', description: 'One task' },
    name: { type: 'string', description: 'One score name' },
    since: { type: 'string', default: '24h', description: 'From: a duration ago or an ISO time' },
    limit: { type: 'string', default: '50', description: 'How many' },
    json: { type: 'boolean', description: 'Print JSON' },
  },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      const limit = numberOption('limit', args.limit, { integer: true, min: 1 }) ?? 50;
      // one more than asked: whether the listing goes on past the limit
      const scores = await registry.scores.list({
        task: args.task,
        name: args.name,
        since: parseTimeReference(args.since, Date.now(), '--since'),
        limit: limit + 1,
      });
      const shown = scores.slice(0, limit);
      if (args.json) return void process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
      for (const score of shown)
        process.stdout.write(
          `${new Date(score.at).toISOString()}  ${score.traceId}  ${score.name} = ${score.category ?? score.value}  (${score.source}${score.comment ? `: ${score.comment}` : ''})\n`,
        );
      if (shown.length === 0) process.stderr.write(`no scores since ${args.since}\n`);
      if (scores.length > limit)
        process.stderr.write(`the newest ${limit} shown; there are more (--limit for more)\n`);
    }),
});

export default defineCommand({
  meta: { name: 'scores', description: 'Scores on traces and their configs' },
  subCommands: { configure, configs, ls: list },
});
