// `promptune traces`: the registry's traces of served requests. `ls` lists them newest first with
// filters (one line each, or JSON lines); `show` prints one with its scores. Reads only.
import { defineCommand } from 'citty';
import { ValidationError } from '../../errors/index.js';
import { checkTaskFilter, guardFilterNote, parseTimeReference, versionFilter } from '../../observe/index.js';
import type { TraceFilter } from '../../registry/index.js';
import { numberOption } from '../options.js';
import { withRegistry, registryOption } from '../registry-access.js';
import { printPaged } from '../paged-listing.js';
import { traceCells, traceHeader } from '../trace-row.js';
import { versionNumbers } from '../version-numbers.js';

const common = {
  db: registryOption,
  json: { type: 'boolean', description: 'Print JSON' },
} as const;

const list = defineCommand({
  meta: { name: 'ls', description: 'List traces, newest first' },
  args: {
    ...common,
    task: { type: 'string', description: 'One task' },
    version: { type: 'string', description: 'One version id' },
    label: { type: 'string', description: 'One label' },
    key: { type: 'string', description: 'One API key id' },
    run: { type: 'string', description: 'The calls of one evaluation run (eval --trace)' },
    since: { type: 'string', description: 'From: a duration ago (24h) or an ISO time' },
    until: { type: 'string', description: 'Until: a duration ago or an ISO time' },
    error: { type: 'string', description: 'Failed traces only: "any" or an error code' },
    score: { type: 'string', description: 'Traces with this score (e.g. helpful)' },
    guard: {
      type: 'string',
      description: 'Traces where a guard check failed: "any" or a validator (e.g. pii)',
    },
    limit: { type: 'string', default: '50', description: 'How many (newest first)' },
  },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      const now = Date.now();
      const filter: TraceFilter = {
        task: args.task,
        version: await versionFilter(registry, args.task, args.version),
        label: args.label,
        keyId: args.key,
        run: args.run,
        since: args.since ? parseTimeReference(args.since, now, '--since') : undefined,
        until: args.until ? parseTimeReference(args.until, now, '--until') : undefined,
        error: args.error === undefined ? undefined : args.error === 'any' ? true : args.error,
        score: args.score ? { name: args.score } : undefined,
        guardFailed: args.guard === undefined ? undefined : args.guard === 'any' ? true : args.guard,
      };
      if (filter.since !== undefined && filter.until !== undefined && filter.since >= filter.until)
        throw new ValidationError('--since is not before --until', {
          code: 'CLI_INVALID_OPTION',
          hint: 'Give --since earlier than --until (e.g. --since 2h --until 1h).',
        });
      const limit = numberOption('limit', args.limit, { integer: true, min: 1, max: 100_000 }) ?? 50;
      // the numbers of the versions traces name, each task's read once (a version since deleted keeps its id)
      const numbers = new Map<string, number>();
      const tasksRead = new Set<string>();
      const page = async (size: number, after: string | undefined) => {
        const listed = await registry.traces.list(filter, { limit: size, after });
        const unread = listed.data.flatMap((trace) =>
          !args.json && trace.task !== null && !tasksRead.has(trace.task) ? [trace.task] : [],
        );
        for (const [id, number] of await versionNumbers(registry, unread)) numbers.set(id, number);
        for (const task of unread) tasksRead.add(task);
        return listed;
      };
      const printed = await printPaged(
        page,
        limit,
        args.json
          ? { line: (trace) => JSON.stringify(trace) }
          : { header: traceHeader, cells: (trace) => traceCells(trace, numbers) },
      );
      await checkTaskFilter(registry, args.task, printed);
      if (printed === 0 && !args.json) process.stderr.write('no traces match\n');
      const note = printed === 0 ? await guardFilterNote(registry, args.task, args.guard) : undefined;
      if (note) process.stderr.write(`note: ${note}\n`);
    }),
});

const show = defineCommand({
  meta: { name: 'show', description: 'Print one trace with its scores' },
  args: {
    ...common,
    id: { type: 'positional', required: true, description: 'The trace id (the response id)' },
  },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      const trace = await registry.traces.get(args.id);
      if (args.json) return void process.stdout.write(`${JSON.stringify(trace, null, 2)}\n`);
      const { input, output, scores, checks, sampling, ...facts } = trace;
      for (const [name, value] of Object.entries(facts))
        if (value !== null)
          process.stdout.write(
            `${name.padEnd(14)} ${name === 'at' ? new Date(value as number).toISOString() : String(value)}\n`,
          );
      // what to send again (with the same input) for the same answer
      if (sampling)
        process.stdout.write(
          `sampling       temperature ${sampling.temperature}${sampling.topP === null ? '' : `, top_p ${sampling.topP}`}${sampling.topK === null ? '' : `, top_k ${sampling.topK}`}, max_tokens ${sampling.maxTokens}, seed ${sampling.seed}\n`,
        );
      process.stdout.write(
        `input          ${JSON.stringify(input, null, 2).replace(/\n/g, '\n               ')}\n`,
      );
      process.stdout.write(`output         ${output ?? '(none)'}\n`);
      if (checks !== null) process.stdout.write(`checks         ${JSON.stringify(checks)}\n`);
      for (const score of scores)
        process.stdout.write(
          `score          ${score.name} = ${score.category ?? score.value} (${score.source}${score.comment ? `: ${score.comment}` : ''})${score.correction === null ? '' : ` correction ${JSON.stringify(score.correction)}`}\n`,
        );
    }),
});

export default defineCommand({
  meta: { name: 'traces', description: 'Traces of the requests the service answered' },
  subCommands: { ls: list, show },
});
