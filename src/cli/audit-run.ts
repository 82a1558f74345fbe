// What every `promptune audit` command does around its audit: reads the task, model and prompt
// (audit-subject.ts) and the split, opens the response cache, records the audit as a run when asked
// (--push: progress while it runs, its entries and summary, the audited version), shows progress,
// writes the HTML report and prints the result as text or JSON.
import { writeFileAtomically } from '../engine/index.js';
import { ResponseCache, type EvaluatedModel } from '../eval/index.js';
import type { RunEntry } from '../registry/index.js';
import { loadSplit, type Example, type SplitName, type Task } from '../tasks/index.js';
import {
  auditSubject,
  checkSubjectOptions,
  describeSubject,
  type SubjectDescription,
  type SubjectOptions,
} from './audit-subject.js';
import { callArgs, callOptions } from './call-options.js';
import { choice, numberOption, seedOption } from './options.js';
import { progressBar } from './progress.js';
import { stopOnSignals } from './stop-signals.js';
import { registryOption } from './registry-access.js';
import { recordRun, splitDatasetIds } from './run-recorder.js';
import { checkOutputFile } from './output-file.js';
import { warnTargetsOutsideLabels } from './label-targets.js';

/** Options every audit takes besides what it audits. */
export const runArgs = {
  split: { type: 'string', default: 'test', description: 'Split to audit: train, dev or test' },
  limit: { type: 'string', description: 'Audit only the first N examples' },
  ...callArgs,
  seed: { type: 'string', default: '0', description: 'Seed of the variants, resamples and tests' },
  cache: {
    type: 'boolean',
    default: true,
    description: 'Reuse cached responses (--no-cache calls the model for every request)',
  },
  'cache-file': { type: 'string', default: '.promptune/cache.sqlite', description: 'Response cache file' },
  json: { type: 'boolean', default: false, description: 'Print the result as JSON' },
  report: { type: 'string', description: 'Write a self-contained HTML report here' },
  push: {
    type: 'boolean',
    description: 'Record the audit as a run in the registry (--db), tied to the --version it audited',
  },
  db: registryOption,
} as const;

/** What the audit itself is given. */
export interface AuditInput {
  task: Task;
  model: EvaluatedModel;
  subject: SubjectDescription;
  split: SplitName;
  examples: Example[];
  cache: ResponseCache | undefined;
  seed: number;
  concurrency: number;
  timeoutMs: number;
  /** Aborted by Ctrl-C or SIGTERM: the evaluation stops after the calls under way, journaling them. */
  signal: AbortSignal;
  onProgress: (done: number, total: number) => void;
}

/** How one kind of audit runs and shows its result. */
export interface AuditKind<Result> {
  name: 'bias' | 'sensitivity' | 'variability' | 'explain';
  /** Checks the command's options against what is audited, before anything is run or recorded. */
  checkSubject?: (subject: SubjectDescription) => void;
  /** Extra config recorded with the run. */
  config?: Record<string, unknown>;
  run: (input: AuditInput) => Promise<Result>;
  summary: (result: Result) => Record<string, unknown>;
  entries?: (result: Result) => RunEntry[];
  html?: (result: Result, subject: string) => string;
  text: (result: Result, subject: string) => string;
}

/** The options every audit takes (what it audits, and how it runs). */
export type AuditRunArgs = SubjectOptions & {
  split: string;
  limit?: string;
  concurrency: string;
  timeout: string;
  seed: string;
  cache: boolean;
  'cache-file': string;
  json: boolean;
  report?: string;
  push?: boolean;
};

/**
 * The options every audit takes, checked for their values and how they combine, before anything is read
 * (each audit command checks its own after them; `job submit` runs both on a job's command line too).
 */
export function checkAuditOptions(args: AuditRunArgs) {
  const split = choice('split', args.split, ['train', 'dev', 'test'] as const);
  const limit = numberOption('limit', args.limit, { integer: true, min: 1 });
  const seed = seedOption(args.seed) ?? 0;
  checkSubjectOptions(args);
  return { split, limit, seed, ...callOptions(args) };
}

/** Runs audit `kind` as the command's arguments say (its own options checked already). */
export async function runAudit<Result>(args: AuditRunArgs, kind: AuditKind<Result>): Promise<void> {
  const { split, limit, seed, concurrency, timeoutMs } = checkAuditOptions(args);
  checkOutputFile('report', args.report, 'the HTML report');
  const { task, model, subject, specId } = await auditSubject(args);
  kind.checkSubject?.(subject);
  const described = describeSubject(subject);
  const examples = loadSplit(task, split).slice(0, limit);
  warnTargetsOutsideLabels(task, examples, split);
  const cache = args.cache ? new ResponseCache(args['cache-file']) : undefined;
  // the audit policy counts audits of registry versions only: one of a folder or a file is a record
  if (args.push && !subject.version && (kind.name === 'bias' || kind.name === 'sensitivity'))
    process.stderr.write(
      `warning: this ${kind.name} audit is recorded as a run of ${task.spec.name}, of no registry version: a task's audit policy counts only audits of a version (--version ${task.spec.name}@<number>).\n`,
    );
  const recording = args.push
    ? await recordRun(args.db, {
        kind: 'audit',
        task: task.spec.name,
        datasets: splitDatasetIds(task, split),
        config: {
          audit: kind.name,
          model: model.name,
          split,
          examples: examples.length,
          subject,
          taskFile: args.task,
          // what the audit measured with: the spec (its metrics, guards and output reading) and the seed
          specId,
          seed,
          ...kind.config,
        },
      })
    : undefined;
  const bar = progressBar(`${kind.name} audit of ${task.spec.name} on ${model.name}`);
  // Ctrl-C: the answers under way are journaled, the run is recorded as stopped, and a rerun resumes
  const stopping = stopOnSignals('the audit after the calls under way, keeping their answers');
  try {
    const result = await kind.run({
      task,
      model,
      subject,
      split,
      examples,
      cache,
      seed,
      concurrency,
      timeoutMs,
      signal: stopping.signal,
      onProgress: (done, total) => {
        bar.update(done, total);
        recording?.progress(done, total);
      },
    });
    bar.finish();
    stopping.dispose();
    if (recording) {
      if (kind.entries) recording.add(kind.entries(result));
      // the subject's description too, so `runs report` renders the page --report writes
      await recording.complete({ ...kind.summary(result), subject: described }, subject.version?.id);
      process.stderr.write(`recorded as run ${recording.id}\n`);
    }
    if (args.report && kind.html) writeFileAtomically(args.report, kind.html(result, described));
    process.stdout.write(
      args.json ? `${JSON.stringify(kind.summary(result), null, 2)}\n` : kind.text(result, described),
    );
  } catch (error) {
    await recording?.fail(error).catch(() => undefined);
    throw error;
  } finally {
    stopping.dispose();
    cache?.close();
  }
}
