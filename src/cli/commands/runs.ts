// `promptune runs`: the registry's recorded runs (eval, optimize and soft train with --push). `ls` lists
// them newest first with filters (one line each, or JSON lines); `show` prints one with its summary and,
// with --entries, its examples, steps or trials (--failures: the examples that did not pass); `report`
// writes an evaluation's or optimization's HTML report from what was recorded; `retire` (admin) sets a
// finished run aside with a reason, so no audit policy counts it.
import { defineCommand } from 'citty';
import { runEntryKinds, runKinds, type RunRecord, type RunStatus } from '../../registry/index.js';
import { writeFileAtomically } from '../../engine/index.js';
import { runReportHtml } from '../../serve/index.js';
import { notClearlyBelow, type TaskStanding } from '../comparison-significance.js';
import { choice, numberOption } from '../options.js';
import { registryOption, withRegistry } from '../registry-access.js';
import { checkOutputFile } from '../output-file.js';
import { printPaged } from '../paged-listing.js';

const common = {
  db: registryOption,
  json: { type: 'boolean', description: 'Print JSON' },
} as const;

const statuses: RunStatus[] = ['running', 'completed', 'failed', 'cancelled', 'interrupted'];

/**
 * A comparison's best, and the rows not clearly below it, as its standing says (paired on the test
 * examples), with the cheapest of them to serve; its best method alone when it kept no standing.
 */
function comparisonLine(run: RunRecord, best: { method?: unknown; testAccuracy: number }): string {
  const standing = run.summary?.standing as TaskStanding | undefined;
  const [first] = standing?.methods ?? [];
  if (!standing || !first) return `best ${String(best.method)} ${best.testAccuracy.toFixed(3)}`;
  const close = notClearlyBelow(standing);
  return [
    `best ${first.name} ${first.accuracy.toFixed(3)}`,
    ...(close.length ? [`not clearly below it: ${close.join(', ')}`] : []),
    ...(close.length && standing.pick ? [`cheapest of them: ${standing.pick}`] : []),
  ].join('; ');
}

/** An audit's finding in a line: a bias gap, a sensitivity spread, a variability agreement, an explanation's score. */
function auditResult(summary: Record<string, unknown>): string {
  const value = (key: string) => (summary[key] as { value?: unknown } | undefined)?.value;
  const gap = summary.gap as { difference?: unknown; significant?: unknown } | undefined;
  const spread = (summary.spread as { range?: { value?: unknown } } | undefined)?.range?.value;
  const original = summary.original as { score?: unknown; exactMatch?: unknown } | undefined;
  if (typeof gap?.difference === 'number')
    return `gap ${gap.difference.toFixed(3)}${gap.significant ? ' significant' : ''}, flip rate ${Number(summary.flipRate).toFixed(3)}`;
  if (typeof spread === 'number') return `spread ${spread.toFixed(3)}`;
  if (typeof value('agreement') === 'number')
    return `agreement ${(value('agreement') as number).toFixed(3)}, score ${Number(value('score')).toFixed(3)}`;
  const whole = original?.score ?? original?.exactMatch;
  return typeof whole === 'number' ? `whole prompt ${whole.toFixed(3)}` : '';
}

/** The columns of `runs ls`. */
const header = ['started', 'id', 'kind', 'task', 'status', 'result', 'version', 'note'];

function cells(run: RunRecord): string[] {
  const progress = run.progress ? `${run.progress.done}/${run.progress.total ?? '?'}` : '';
  const trained = run.summary?.testExactMatch ?? run.summary?.devExactMatch;
  const best = run.summary?.best as { method?: unknown; testAccuracy?: unknown } | undefined;
  const outcome = run.summary?.outcome;
  const score =
    run.kind === 'loop' && typeof outcome === 'string' // a loop iteration: promoted, refused, rolled back, …
      ? `${outcome}${typeof run.summary?.reason === 'string' ? `: ${run.summary.reason}` : ''}`
      : run.kind === 'comparison' && typeof best?.testAccuracy === 'number' // the method that scored best
        ? comparisonLine(run, { method: best.method, testAccuracy: best.testAccuracy })
        : run.summary && typeof run.summary.score === 'number'
          ? `score ${run.summary.score.toFixed(3)}`
          : run.kind === 'soft-training' && typeof run.summary?.testLabelAccuracy === 'number' // a label task's, as served
            ? `test label accuracy ${run.summary.testLabelAccuracy.toFixed(3)}`
            : run.kind === 'soft-training' && typeof trained === 'number' // a training: test (else dev) exact match
              ? `${run.summary?.testExactMatch === undefined ? 'dev' : 'test'} ${trained.toFixed(3)}`
              : run.kind === 'audit'
                ? auditResult(run.summary ?? {})
                : '';
  return [
    new Date(run.startedAt).toISOString(),
    run.id,
    // a training names its method (prompt tuning's run records none), an audit its kind and model
    run.kind === 'soft-training'
      ? `${run.kind} (${typeof run.config.method === 'string' ? run.config.method : 'prompt-tuning'})`
      : run.kind === 'audit' // which audit, of which model: a stub model's audit counts as much as a real one's
        ? `audit (${String(run.config.audit)} on ${String(run.config.model)})`
        : run.kind,
    run.task,
    run.status,
    run.status === 'running' || run.status === 'interrupted' ? progress : score,
    // a loop's version is its candidate, promoted or not
    run.version ? `${run.kind === 'loop' ? 'candidate ' : '-> '}${run.version.slice(0, 12)}` : '',
    run.retired ? `retired by ${run.retired.actor}: ${run.retired.reason}` : '',
  ];
}

const list = defineCommand({
  meta: { name: 'ls', description: 'List recorded runs, newest first' },
  args: {
    ...common,
    task: { type: 'string', description: 'One task' },
    kind: { type: 'string', description: `One kind: ${runKinds.join(', ')}` },
    status: { type: 'string', description: `One status: ${statuses.join(', ')}` },
    limit: { type: 'string', default: '50', description: 'How many (newest first)' },
  },
  run: ({ args }) =>
    withRegistry(
      args,
      async (registry) => {
        const filter = {
          task: args.task,
          kind: args.kind === undefined ? undefined : choice('kind', args.kind, runKinds),
          status: args.status === undefined ? undefined : choice('status', args.status, statuses),
        };
        const limit = numberOption('limit', args.limit, { integer: true, min: 1, max: 100_000 }) ?? 50;
        const printed = await printPaged(
          (size, after) => registry.runs.list(filter, { limit: size, after }),
          limit,
          args.json ? { line: (run) => JSON.stringify(run) } : { header, cells },
        );
        if (printed === 0 && !args.json)
          process.stderr.write('no runs match (eval, optimize and soft train record runs with --push)\n');
      },
      { reads: true },
    ),
});

const show = defineCommand({
  meta: { name: 'show', description: 'Print one run, and with --entries its examples, steps or trials' },
  args: {
    ...common,
    id: { type: 'positional', required: true, description: 'The run id' },
    entries: {
      type: 'string',
      description: `Also print its entries of one kind: ${runEntryKinds.join(', ')}`,
    },
    failures: { type: 'boolean', description: 'With --entries example: only the examples that did not pass' },
  },
  run: ({ args }) =>
    withRegistry(
      args,
      async (registry) => {
        const kind = args.entries === undefined ? undefined : choice('entries', args.entries, runEntryKinds);
        const run = await registry.runs.get(args.id);
        // (read first all the same: an unknown id is refused, not an empty listing) with --entries, --json
        // is JSON Lines of the entries alone, the run being `runs show <id> --json`: a document followed
        // by lines parses as neither
        if (!args.json) {
          for (const [name, value] of Object.entries(run))
            if (value !== null)
              process.stdout.write(
                `${name.padEnd(12)} ${name.endsWith('At') ? new Date(value as number).toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value)}\n`,
              );
        } else if (!kind) process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
        if (!kind) return;
        let after: number | undefined;
        do {
          const page = await registry.runs.entries(run.id, kind, {
            limit: 500,
            after,
            passed: args.failures ? false : undefined,
          });
          for (const entry of page.data) process.stdout.write(`${JSON.stringify(entry)}\n`);
          after = page.next;
        } while (after !== undefined);
      },
      { reads: true },
    ),
});

const retire = defineCommand({
  meta: {
    name: 'retire',
    description:
      'Set a finished run aside with a reason (admin): it stays listed, but no audit policy counts it',
  },
  args: {
    db: registryOption,
    id: { type: 'positional', required: true, description: 'The run id' },
    reason: { type: 'string', required: true, description: 'Why it no longer counts (kept with it)' },
    admin: { type: 'boolean', default: false, description: 'Act with the admin scope (required)' },
    json: { type: 'boolean', description: 'Print JSON' },
  },
  run: ({ args }) =>
    withRegistry(
      args,
      async (registry, actor) => {
        const run = await registry.retireRun(args.id, { actor, reason: args.reason });
        process.stdout.write(
          args.json
            ? `${JSON.stringify(run)}\n`
            : `retired ${run.id} (${run.kind} of ${run.task}): ${run.retired!.reason}\n`,
        );
      },
      { reads: true }, // it changes a run that must exist: a mistyped --db is refused, not made
    ),
});

const report = defineCommand({
  meta: { name: 'report', description: "Write a completed evaluation's or optimization's HTML report" },
  args: {
    db: registryOption,
    id: { type: 'positional', required: true, description: 'The run id' },
    out: { type: 'string', required: true, description: 'The HTML file to write' },
  },
  run: ({ args }) =>
    withRegistry(
      args,
      async (registry) => {
        checkOutputFile('out', args.out, 'the HTML report');
        writeFileAtomically(args.out, await runReportHtml(registry, args.id));
        process.stderr.write(`report written to ${args.out}\n`);
      },
      { reads: true },
    ),
});

export default defineCommand({
  meta: { name: 'runs', description: 'Recorded evaluation, optimization and training runs' },
  subCommands: { ls: list, show, report, retire },
});
