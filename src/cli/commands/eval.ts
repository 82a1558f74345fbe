// `promptune eval`: evaluate a task on a model with a progress bar; prints a summary (or --json),
// writes HTML/JSON reports, and exits non-zero below --min-score so CI can gate on it.
import { defineCommand, type ParsedArgs } from 'citty';
import { QualityGateError, ValidationError } from '../../errors/index.js';
import {
  evaluate,
  judgeGenerator,
  readPrices,
  renderReportHtml,
  retriesText,
  ResponseCache,
  summarize,
  type EvaluationReport,
} from '../../eval/index.js';
import { writeFileAtomically } from '../../engine/index.js';
import { applyArtifact, readArtifact } from '../../optimize/index.js';
import { resolveModel } from '../../providers/index.js';
import { loadTask, loadSplit, type SplitName } from '../../tasks/index.js';
import { auditSubject, checkSubjectOptions, missingTask, subjectArgs } from '../audit-subject.js';
import { withDataFolder } from '../data-folder.js';
import { callArgs, callOptions } from '../call-options.js';
import { numberOption } from '../options.js';
import { recordRun, splitDatasetIds } from '../run-recorder.js';
import { evaluationTraces } from '../evaluation-traces.js';
import { registryOption } from '../registry-access.js';
import { downloadProgress, progressBar } from '../progress.js';
import { retryNotices } from '../retry-notices.js';
import { stopOnSignals } from '../stop-signals.js';
import { checkOutputFile } from '../output-file.js';
import { warnTargetsOutsideLabels } from '../label-targets.js';

const dollars = (cost: number | undefined) => (cost === undefined ? 'unknown' : `$${cost.toFixed(4)}`);

/** The summary object --json prints (the report without its per-example rows). */
export function reportSummary(report: EvaluationReport) {
  const { examples, ...summary } = report;
  return { ...summary, examples: examples.length };
}

/** eval's options. */
const evalArgs = {
  task: subjectArgs.task,
  data: {
    type: 'string',
    description:
      "A folder of train/dev/test.jsonl to read instead of the spec's data (dataset pull writes one)",
  },
  prompt: {
    type: 'string',
    description: "A prompt artifact (promptune optimize --out) to use instead of the spec's prompt",
  },
  adapter: subjectArgs.adapter,
  version: subjectArgs.version,
  force: subjectArgs.force,
  model: {
    type: 'string',
    required: true,
    description:
      'Model: local:<path>, openai:<model>, openai-compatible:<url>#<model>, anthropic:<model>, ollama:<model>',
  },
  split: { type: 'string', default: 'test', description: 'Split to evaluate: train, dev or test' },
  ...callArgs,
  repeats: { type: 'string', default: '1', description: 'Calls per example (variance, confidence)' },
  limit: { type: 'string', description: 'Evaluate only the first N examples' },
  'min-score': { type: 'string', description: 'Exit with status 3 when the score is below this' },
  judge: { type: 'string', description: "Model for the judge metric and the task's judge validators" },
  constrain: {
    type: 'boolean',
    default: false,
    description:
      "Decode under the task's constraint (its labels or JSON Schema, or decoding.constrain): outputs valid by construction; local models only",
  },
  cache: {
    type: 'boolean',
    default: true,
    description: 'Reuse cached responses (--no-cache calls the model for every request)',
  },
  'cache-file': { type: 'string', default: '.promptune/cache.sqlite', description: 'Response cache file' },
  prices: {
    type: 'string',
    description:
      'JSON file of dollars per million tokens, {"<model>": {"input": x, "output": y}}, keyed by model id (gpt-4o) or by the whole model string (openai-compatible:http://host/v1#llama); it adds to and overrides the built-in table. Models on this machine (local, ollama, openai-compatible on a loopback address) without an entry cost $0; other models without one cost an unknown amount',
  },
  report: { type: 'string', description: 'Write a self-contained HTML report here' },
  'report-json': { type: 'string', description: 'Write the full JSON report (with every example) here' },
  json: { type: 'boolean', default: false, description: 'Print the summary as JSON' },
  trace: {
    type: 'boolean',
    description: 'Record every model call as a trace in the registry (--db), tied to this run',
  },
  push: {
    type: 'boolean',
    description:
      'Record this evaluation as a run in the registry (--db): its progress while it runs, every example and the summary',
  },
  db: {
    ...registryOption,
    description: 'SQLite registry for --trace and --push (DATABASE_URL selects Postgres)',
  },
} as const;

/**
 * eval's options checked for their values and how they combine, before anything is read or called
 * (`job submit` runs it on a job's command line too).
 */
export function checkEvalOptions(args: ParsedArgs<typeof evalArgs>) {
  const split = args.split as SplitName;
  if (!['train', 'dev', 'test'].includes(split)) {
    throw new ValidationError(`--split is "${split}"`, {
      code: 'CLI_INVALID_OPTION',
      hint: 'Use train, dev or test.',
    });
  }
  checkSubjectOptions(args);
  return {
    split,
    minimum: numberOption('min-score', args['min-score']),
    limit: numberOption('limit', args.limit, { integer: true, min: 1 }),
    repeats: numberOption('repeats', args.repeats, { integer: true, min: 1 }),
    ...callOptions(args),
  };
}

export default defineCommand({
  meta: { name: 'eval', description: 'Evaluate a task on a model' },
  args: evalArgs,
  async run({ args }) {
    const { split, minimum, limit, repeats, concurrency, timeoutMs } = checkEvalOptions(args);
    checkOutputFile('report', args.report, 'the HTML report');
    // what is cheap to check is checked before a model is loaded
    const prices = readPrices(args.prices);
    const local = { hub: { onProgress: downloadProgress() } };
    // a soft adapter or a registry version reads like an audit's subject (a soft one on the local engine)
    const subject =
      args.adapter !== undefined || args.version !== undefined ? await auditSubject(args) : undefined;
    const specTask = (file: string) =>
      withDataFolder(
        args.prompt ? applyArtifact(loadTask(file), readArtifact(args.prompt)) : loadTask(file),
        args.data,
      );
    const task = subject?.task ?? specTask(args.task ?? missingTask());
    const examples = loadSplit(task, split).slice(0, limit);
    warnTargetsOutsideLabels(task, examples, split);
    const model = subject?.model ?? (await resolveModel(args.model, { local }));
    const judgeModel = args.judge ? await resolveModel(args.judge, { local }) : undefined;
    const judge = judgeModel ? judgeGenerator(judgeModel) : undefined;
    const cache = args.cache ? new ResponseCache(args['cache-file']) : undefined;
    const tracing = args.trace
      ? await evaluationTraces(args.db, task.spec.name, model.name, subject?.subject.version)
      : undefined;
    const recording = args.push
      ? await recordRun(args.db, {
          kind: 'evaluation',
          task: task.spec.name,
          datasets: splitDatasetIds(task, split),
          version: subject?.subject.version?.id,
          config: {
            model: model.name,
            split,
            examples: examples.length,
            repeats,
            taskFile: args.task,
            ...(args.prompt && { prompt: args.prompt }),
            ...(subject && { subject: subject.subject }),
            ...(args.judge && { judge: args.judge }),
            constrained: args.constrain,
            ...(tracing && { traces: tracing.run }),
          },
        })
      : undefined;
    const bar = progressBar(`${task.spec.name} on ${model.name}`);
    let recorded = false;
    // Ctrl-C: no call starts after it, and the answers of those under way are journaled for a rerun
    const stopping = stopOnSignals('the evaluation after the calls under way and keeping their answers');
    try {
      const run = await evaluate({
        task,
        split,
        examples,
        model,
        concurrency,
        timeoutMs,
        repeats,
        cache,
        judge,
        guardJudge: judgeModel,
        constrain: args.constrain,
        prices,
        signal: stopping.signal,
        onProgress: (done, total) => {
          bar.update(done, total);
          recording?.progress(done, total);
        },
        onRetry: retryNotices(bar),
        onCall: tracing?.record,
      }).finally(() => {
        bar.finish();
        stopping.dispose();
      });
      if (tracing) {
        const written = await tracing.close();
        process.stderr.write(
          `traced ${written} calls as run ${tracing.run} (promptune traces ls --run ${tracing.run})\n`,
        );
      }
      const report = summarize(run);
      if (recording) {
        recorded = true; // from here on the run is the evaluation's (a later --min-score failure is not its)
        recording.add(
          report.examples.map((example, position) => ({
            kind: 'example',
            position,
            score: example.score,
            // passed: full marks on every repeat (a graded metric's partial credit counts as a failure)
            passed: example.scores.every((score) => score >= 1),
            data: { ...example },
          })),
        );
        await recording.complete(reportSummary(report));
        process.stderr.write(`recorded as run ${recording.id}\n`);
      }
      if (args.report) writeFileAtomically(args.report, renderReportHtml(report));
      if (args['report-json'])
        writeFileAtomically(args['report-json'], JSON.stringify(report, null, 2) + '\n');
      if (args.json) process.stdout.write(JSON.stringify(reportSummary(report), null, 2) + '\n');
      else {
        const interval = `[${report.interval[0].toFixed(3)}, ${report.interval[1].toFixed(3)}]`;
        process.stdout.write(
          `${task.spec.name} ${split} on ${model.name}: score ${report.score.toFixed(3)} (95% CI ${interval}), n ${report.n}\n`,
        );
        process.stdout.write(
          `metrics: ${Object.entries(report.metrics)
            .map(([name, value]) => `${name} ${value.toFixed(3)}`)
            .join(', ')}\n`,
        );
        if (report.parseRate !== undefined)
          process.stdout.write(`parse rate ${report.parseRate.toFixed(3)}\n`);
        if (report.contentFiltered)
          process.stdout.write(
            `content filter: the provider withheld ${report.contentFiltered} of ${report.n * report.repeats} answers (finish reason content_filter), scored as what it left\n`,
          );
        for (const [name, guard] of Object.entries(report.guards ?? {})) {
          const actions = Object.entries(guard.actions)
            .map(([action, count]) => `${action} ${count}`)
            .join(', ');
          process.stdout.write(
            `guard ${name} (${guard.stage}): passed ${guard.passRate.toFixed(3)} first time, ${guard.finalPassRate.toFixed(3)} after policies${actions ? ` (${actions})` : ''}\n`,
          );
        }
        if (report.guardJudge?.calls)
          process.stdout.write(
            `judge validators: ${report.guardJudge.calls} calls, tokens ${report.guardJudge.tokens.input} in / ${report.guardJudge.tokens.output} out, cost ${dollars(report.guardJudge.cost)}\n`,
          );
        // answers taken from the cache or a killed run's journal: their tokens are counted, their cost is not
        const reused = report.cacheHits > 0 || report.resumed > 0;
        process.stdout.write(
          `calls ${report.calls}${report.retries ? ` (${retriesText(report.retries)})` : ''}, cache hits ${report.cacheHits}, resumed ${report.resumed}, tokens ${report.tokens.input} in / ${report.tokens.output} out${reused ? " (every answer's, those from the cache or resumed too)" : ''}, cost ${dollars(report.cost)}${reused ? ' (this run’s calls)' : ''}\n`,
        );
        if (report.usageEstimated)
          process.stdout.write(
            `usage: the provider reported no token counts for ${report.usageEstimated} answers; their tokens and cost are their worst case (the prompt's bytes, the maximum output)\n`,
          );
        if (report.spend.earlierCalls)
          process.stdout.write(
            `spent over all runs: ${report.spend.calls} calls (${report.spend.earlierCalls} in runs killed before this one), ${report.spend.tokens.input} tokens in / ${report.spend.tokens.output} out, ${dollars(report.spend.cost)}\n`,
          );
      }
      if (minimum !== undefined && report.score < minimum) {
        throw new QualityGateError(`score ${report.score.toFixed(3)} is below --min-score ${minimum}`, {
          code: 'EVAL_BELOW_MIN_SCORE',
          hint: 'Improve the prompt, or lower the threshold.',
        });
      }
    } catch (error) {
      // the run records why the evaluation stopped; a failure to record that must not hide the error
      if (recording && !recorded) await recording.fail(error).catch(() => undefined);
      throw error;
    } finally {
      cache?.close();
      await tracing?.close();
    }
  },
});
