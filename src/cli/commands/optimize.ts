// `promptune optimize`: tune a task's hard prompt on a model. Prints the most calls, the tokens and the
// cost the run can spend before spending anything, then each trial as it finishes (on stderr); writes the
// artifact, optionally an HTML report, and with --push registers the result in the registry with its
// lineage. A killed run resumes, its budget holding over all runs; --min-score gates on the final score.
import { defineCommand, type ParsedArgs } from 'citty';
import { InterruptedError, QualityGateError, ValidationError } from '../../errors/index.js';
import { writeFileAtomically } from '../../engine/index.js';
import { pairedTest, readPrices, ResponseCache, scoreInterval } from '../../eval/index.js';
import {
  estimateSpend,
  makeOptimizer,
  optimizerNames,
  optimizersNeedingTeacher,
  presets,
  renderOptimizationHtml,
  type Budget,
  type OptimizerName,
  type OptimizeResult,
  type RoleUsage,
  type RunDetails,
  type Trial,
} from '../../optimize/index.js';
import { resolveModel } from '../../providers/index.js';
import { datasetFileIds, pushOptimized } from '../../registry/index.js';
import { loadTask, loadSplit } from '../../tasks/index.js';
import { withDataFolder } from '../data-folder.js';
import { callArgs, callOptions } from '../call-options.js';
import { givenOptions, numberOption, refuseIgnored, seedOption } from '../options.js';
import { downloadProgress, progressBar } from '../progress.js';
import { pushAndLabel, withRegistry } from '../registry-access.js';
import { recordRun } from '../run-recorder.js';
import { stopOnSignals } from '../stop-signals.js';
import { pushArgs } from '../soft-push.js';
import { checkOutputFile } from '../output-file.js';
import { checkLabelBeforeTraining } from '../soft-push.js';
import { warnTargetsOutsideLabels } from '../label-targets.js';

/** Parses --budget "student.calls=200,teacher.dollars=0.5,total.tokens=1e6" into caps. */
export function parseBudget(text: string | undefined): Budget {
  const budget: Budget = {};
  for (const entry of (text ?? '').split(',').filter((part) => part.trim())) {
    const match = /^\s*(student|teacher|judge|total)\.(calls|tokens|dollars)\s*=\s*([^\s]+)\s*$/.exec(entry);
    const value = match ? Number(match[3]) : NaN;
    if (!match || !Number.isFinite(value) || value < 0) {
      throw new ValidationError(`--budget entry "${entry}" is not role.kind=value`, {
        code: 'CLI_INVALID_OPTION',
        hint: 'Write e.g. --budget student.calls=200,teacher.dollars=0.5,total.tokens=100000 (roles: student, teacher, judge, total; kinds: calls, tokens, dollars).',
      });
    }
    const role = match[1] as keyof Budget;
    budget[role] = { ...budget[role], [match[2]]: value };
  }
  return budget;
}

const money = (dollars: number | undefined) =>
  dollars === undefined ? 'cost unknown (no price for a model; see --prices)' : `$${dollars.toFixed(4)}`;

/**
 * The summary --json prints: dev scores with their 95% intervals and the paired improvement (its
 * interval and p-value), spend per role and in total (killed runs included), answers replayed instead of
 * asked, where files went.
 */
export function optimizeSummary(
  result: OptimizeResult,
  run: { optimizer: string; preset: string; model: string },
  files: { artifact: string; report?: string; registered?: string },
) {
  const { artifact, history, details } = result;
  const spend = (usage: RoleUsage) => ({
    calls: usage.calls,
    tokens: { input: usage.inputTokens, output: usage.outputTokens },
    cost: usage.dollars,
  });
  const total = artifact.optimizer.spend;
  return {
    task: artifact.task,
    ...run,
    score: artifact.scores.best,
    interval: scoreInterval(details.final.scores),
    seedScore: artifact.scores.seed,
    seedInterval: scoreInterval(details.seed.scores),
    improvement: pairedTest(details.seed.scores, details.final.scores),
    n: artifact.scores.n,
    improved: details.improved,
    candidates: history.length - 1,
    stopped: details.stopped,
    calls: artifact.optimizer.calls,
    tokens: { input: total?.inputTokens ?? 0, output: total?.outputTokens ?? 0 },
    cost: total?.dollars,
    // calls of earlier runs, killed before this one finished (included above)
    earlierCalls: total?.earlierCalls ?? 0,
    // answers taken from the response cache or a killed run's journal: asked of no model, paid nothing
    cacheHits: Object.values(details.replayed ?? {}).reduce((sum, count) => sum + count, 0),
    roles: {
      student: spend(details.usage.student),
      teacher: spend(details.usage.teacher),
      judge: spend(details.usage.judge),
    },
    ...files,
  };
}

/** optimize's options. */
const optimizeArgs = {
  task: { type: 'string', required: true, description: 'Task spec file' },
  data: {
    type: 'string',
    description:
      "A folder of train/dev/test.jsonl to read instead of the spec's data (dataset pull writes one)",
  },
  model: { type: 'string', required: true, description: 'Student model (see promptune eval --help)' },
  teacher: {
    type: 'string',
    description: 'Teacher model that proposes instructions and labels demonstrations (default: none)',
  },
  judge: { type: 'string', description: "Model for the task's judge metric" },
  optimizer: {
    type: 'string',
    default: 'bootstrap',
    description: 'bootstrap, propose, search or evolve (propose and evolve need --teacher)',
  },
  preset: { type: 'string', default: 'light', description: 'light, medium or heavy' },
  'max-calls': { type: 'string', description: 'Hard cap on student calls' },
  'max-cost': { type: 'string', description: 'Hard cap on the whole run, in US dollars' },
  budget: {
    type: 'string',
    description: 'More caps: role.kind=value, comma-separated (e.g. teacher.calls=10,judge.tokens=50000)',
  },
  prices: {
    type: 'string',
    description:
      'JSON file of dollars per million tokens, {"<model>": {"input": x, "output": y}}, keyed by model id (gpt-4o) or by the whole model string (openai-compatible:http://host/v1#llama); it adds to and overrides the built-in table. Models on this machine (local, ollama, openai-compatible on a loopback address) without an entry cost $0; other models without one cost an unknown amount',
  },
  patience: {
    type: 'string',
    description: 'Stop after N trials in a row without improvement (default: the preset)',
  },
  'dev-limit': { type: 'string', description: 'Use only the first N dev examples' },
  'guard-weight': {
    type: 'string',
    description:
      "Weight (0 to 1) of the task's output guards in the objective: each example scores (1 - W) x its metrics + W x the share of validators its answer passed",
  },
  'require-guards': {
    type: 'boolean',
    default: false,
    description: "An answer that fails any of the task's output guards scores 0 (guards as a constraint)",
  },
  seed: { type: 'string', default: '0', description: 'Random seed' },
  ...callArgs,
  'cache-file': {
    type: 'string',
    default: '.promptune/cache.sqlite',
    description: 'Response cache (a rerun replays from it)',
  },
  out: { type: 'string', required: true, description: 'Where to write the prompt artifact (JSON)' },
  report: { type: 'string', description: 'Also write an HTML report of the run here' },
  ...pushArgs,
  push: {
    ...pushArgs.push,
    description:
      'Register the result in the registry with its lineage, and record the optimization as a run there (its trials as they come)',
  },
  'min-score': {
    type: 'string',
    description:
      'Exit with status 3 when the final dev score is below this (the artifact and report are still written; --push is skipped)',
  },
  json: {
    type: 'boolean',
    default: false,
    description: 'Print a JSON summary on stdout (scores, calls, tokens and cost per role, files)',
  },
} as const;

/**
 * optimize's options checked for their values and how they combine, before anything is read or called
 * (`job submit` runs it on a job's command line too): the optimizer, its settings and the caps.
 */
export function checkOptimizeOptions(args: ParsedArgs<typeof optimizeArgs>, rawArgs: string[]) {
  const name = args.optimizer as OptimizerName;
  if (!args.push)
    refuseIgnored(
      givenOptions(rawArgs),
      ['label', 'admin', 'db'],
      'it says how --push registers the prompt',
      (option) => `Add --push, or drop --${option}.`,
    );
  if (!optimizerNames.includes(name)) {
    throw new ValidationError(`there is no optimizer "${args.optimizer}"`, {
      code: 'OPTIMIZE_UNKNOWN',
      hint: 'Use --optimizer bootstrap, propose, search or evolve.',
    });
  }
  // said before a model is loaded or a run recorded (the optimizer says it too, to a library caller)
  if (optimizersNeedingTeacher.includes(name) && !args.teacher)
    throw new ValidationError(`the ${name} optimizer needs a teacher model`, {
      code: 'OPTIMIZE_NO_TEACHER',
      hint: 'Pass --teacher <model> (it may be the same as --model), or use --optimizer bootstrap or search.',
    });
  const settings = Object.hasOwn(presets, args.preset)
    ? presets[args.preset as keyof typeof presets]
    : undefined;
  if (!settings)
    throw new ValidationError(`--preset is "${args.preset}"`, {
      code: 'CLI_INVALID_OPTION',
      hint: 'Use light, medium or heavy.',
    });
  const budget = parseBudget(args.budget);
  const maxCalls = numberOption('max-calls', args['max-calls'], { integer: true, min: 1 });
  if (maxCalls !== undefined) budget.student = { ...budget.student, calls: maxCalls };
  const maxCost = numberOption('max-cost', args['max-cost'], { min: 0 });
  if (maxCost !== undefined) budget.total = { ...budget.total, dollars: maxCost };
  const minimum = numberOption('min-score', args['min-score']);
  const devLimit = numberOption('dev-limit', args['dev-limit'], { integer: true, min: 1 });
  const patience = numberOption('patience', args.patience, { integer: true, min: 1 }) ?? settings.patience;
  const guardWeight = numberOption('guard-weight', args['guard-weight'], { min: 0, max: 1 });
  const seed = seedOption(args.seed);
  return {
    name,
    settings,
    budget,
    maxCalls,
    maxCost,
    minimum,
    devLimit,
    patience,
    guardWeight,
    seed,
    ...callOptions(args),
  };
}

export default defineCommand({
  meta: { name: 'optimize', description: "Tune a task's hard prompt on a model" },
  args: optimizeArgs,
  async run({ args, rawArgs }) {
    const checked = checkOptimizeOptions(args, rawArgs);
    const { name, settings, budget, maxCalls, maxCost, minimum } = checked;
    checkOutputFile('out', args.out, 'the prompt artifact');
    checkOutputFile('report', args.report, 'the HTML report');
    const prices = readPrices(args.prices);
    const task = withDataFolder(loadTask(args.task), args.data);
    // a protected label --push would be refused after the calls were paid for: refused now
    await checkLabelBeforeTraining(args, [task.spec.name]);
    if ((args['guard-weight'] !== undefined || args['require-guards']) && !task.spec.guards?.output.length)
      throw new ValidationError(
        `--guard-weight and --require-guards need output guards; ${args.task} has none`,
        {
          code: 'CLI_INVALID_OPTION',
          hint: 'Declare guards.output validators in the task spec (see docs/guards.md).',
        },
      );
    const train = loadSplit(task, 'train');
    const dev = loadSplit(task, 'dev').slice(0, checked.devLimit);
    warnTargetsOutsideLabels(task, train, 'train');
    warnTargetsOutsideLabels(task, dev, 'dev');
    const local = { hub: { onProgress: downloadProgress() } };
    const student = await resolveModel(args.model, { local });
    const teacher = args.teacher ? await resolveModel(args.teacher, { local }) : undefined;
    const judge = args.judge ? await resolveModel(args.judge, { local }) : undefined;
    const estimate = estimateSpend(task, name, settings, { train, dev }, { student, teacher }, prices);
    process.stderr.write(
      `${name} (${args.preset}), ${dev.length} dev examples: at most ${estimate.calls.student} student and ${estimate.calls.teacher} teacher calls, about ${estimate.tokens.student + estimate.tokens.teacher} tokens, ${money(estimate.dollars)}${maxCalls ? `; student calls capped at ${maxCalls}` : ''}${maxCost !== undefined ? `; cost capped at $${maxCost}` : ''}\n`,
    );
    warnBudgetTooSmall(maxCalls, dev.length);
    const cache = new ResponseCache(args['cache-file']);
    const recording = args.push
      ? await recordRun(args.db, {
          kind: 'optimization',
          task: task.spec.name,
          datasets: datasetFileIds(
            task.spec.name,
            task.files.file ? { file: task.files.file } : { train: task.files.train, dev: task.files.dev },
          ),
          config: {
            optimizer: name,
            preset: args.preset,
            model: args.model,
            ...(args.teacher && { teacher: args.teacher }),
            ...(args.judge && { judge: args.judge }),
            budget,
            trainExamples: train.length,
            devExamples: dev.length,
            estimate,
          },
        })
      : undefined;
    let recorded = false;
    let result: OptimizeResult;
    let trials = 0;
    let scoringCalls = 0;
    let scoringSize = 0;
    let callBar: ReturnType<typeof progressBar> | undefined;
    // Ctrl-C: no call starts after it; the answers under way are journaled and cached for a rerun
    const stopping = stopOnSignals('the optimization after the calls under way and keeping their answers');
    try {
      result = await makeOptimizer(name, settings).optimize(task, {
        student,
        teacher,
        judge,
        train,
        dev,
        budget,
        prices,
        patience: checked.patience,
        guards: { weight: checked.guardWeight, required: args['require-guards'] },
        seed: checked.seed,
        cache,
        concurrency: checked.concurrency,
        timeoutMs: checked.timeoutMs,
        signal: stopping.signal,
        // on a terminal, a bar of the calls of the scoring under way (a trial scores every dev example:
        // with a hosted model, minutes; labelling training examples for demos comes before a trial)
        onScoring: (examples) => {
          if (!process.stderr.isTTY) return;
          callBar?.clear();
          scoringCalls = 0;
          scoringSize = examples;
          callBar = progressBar(`trial ${trials}: ${examples} example${examples === 1 ? '' : 's'}`);
        },
        onCall: (role) => {
          if (role === 'judge' || !callBar) return;
          scoringCalls++;
          callBar.update(Math.min(scoringCalls, scoringSize), scoringSize);
        },
        onTrial: (trial) => {
          trials++;
          callBar?.clear();
          callBar = undefined;
          process.stderr.write(
            `trial ${trial.index}: ${trial.description}: ${trial.score.toFixed(3)}${trial.accepted ? ' (accepted)' : ''}, ${trial.calls} calls${trial.parseRate !== undefined ? `, parse rate ${trial.parseRate.toFixed(2)}` : ''}${trial.contentFiltered ? `, ${trial.contentFiltered} withheld by the content filter` : ''}\n`,
          );
          recording?.add([
            {
              kind: 'trial',
              position: trial.index,
              score: trial.score,
              passed: trial.accepted,
              data: { ...trial },
            },
          ]);
          recording?.progress(trial.index + 1, null);
        },
      });
    } catch (caught) {
      const error = InterruptedError.isInstance(caught)
        ? new InterruptedError(`optimization stopped after ${trials} trial${trials === 1 ? '' : 's'}`, {
            code: 'OPTIMIZE_INTERRUPTED',
            hint: `Every answer is journaled and in ${args['cache-file']}: run the same command again to continue without asking again (the budget holds over both runs).`,
            cause: caught,
          })
        : caught;
      // the run records why the optimization stopped; a failure to record that must not hide the error
      if (recording) await recording.fail(error).catch(() => undefined);
      throw error;
    } finally {
      stopping.dispose();
      cache.close();
    }
    const { artifact, history, details } = result;
    const belowMinimum = minimum !== undefined && artifact.scores.best < minimum;
    let pushed: string | undefined;
    try {
      writeFileAtomically(args.out, JSON.stringify(artifact, null, 2) + '\n');
      if (args.report)
        writeFileAtomically(
          args.report,
          renderOptimizationHtml(result, `${task.spec.name}: ${name} on ${student.name}`),
        );
      const registered =
        args.push && !belowMinimum
          ? await withRegistry(args, async (registry, actor) => {
              const { version, improved } = await pushAndLabel(
                registry,
                actor,
                { name: args.label, reason: 'optimize --push' },
                (target) =>
                  pushOptimized(
                    target,
                    task,
                    result,
                    { model: args.model, teacher: args.teacher, preset: args.preset },
                    actor,
                  ),
              );
              return {
                id: version.id,
                message: `${improved ? 'registered as' : 'the seed prompt is kept as'} ${task.spec.name}@${version.number}${args.label ? ` (labelled ${args.label})` : ''}`,
              };
            })
          : undefined;
      pushed = registered?.message;
      if (recording) {
        recorded = true;
        const summary = optimizeSummary(
          result,
          { optimizer: name, preset: args.preset, model: args.model },
          { artifact: args.out, report: args.report, registered: pushed },
        );
        // with what the HTML report is rendered from (runs report, the dashboard): the prompt and details
        await recording.complete({ ...summary, result: { artifact, details } }, registered?.id);
        process.stderr.write(`recorded as run ${recording.id}\n`);
      }
    } catch (error) {
      // the run records why the command stopped; a failure to record that must not hide the error
      if (recording && !recorded) await recording.fail(error).catch(() => undefined);
      throw error;
    }
    if (args.json) {
      const summary = optimizeSummary(
        result,
        { optimizer: name, preset: args.preset, model: args.model },
        { artifact: args.out, report: args.report, registered: pushed },
      );
      process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    } else {
      const spent = details.usage;
      const total = artifact.optimizer.spend;
      const earlier = total?.earlierCalls
        ? ` (${total.earlierCalls} of them in earlier runs of this command, killed or finished; replayed, not asked again)`
        : '';
      process.stdout.write(
        `dev score ${artifact.scores.seed.toFixed(3)} -> ${artifact.scores.best.toFixed(3)} after ${history.length - 1} candidate${history.length === 2 ? '' : 's'} (stopped: ${details.stopped}); calls: student ${spent.student.calls}, teacher ${spent.teacher.calls}, judge ${spent.judge.calls}${earlier}; cost ${money(total?.dollars)}; prompt written to ${args.out}${args.report ? `, report to ${args.report}` : ''}${pushed ? `; ${pushed}` : ''}\n`,
      );
      const kept = keptSeedNote(history, artifact.scores.seed, details);
      if (kept) process.stdout.write(kept);
    }
    if (belowMinimum) {
      throw new QualityGateError(
        `the final dev score ${artifact.scores.best.toFixed(3)} is below --min-score ${minimum}${args.push ? ' (not pushed)' : ''}`,
        {
          code: 'OPTIMIZE_BELOW_MIN_SCORE',
          hint: 'Try a larger preset, another optimizer or a teacher model, or lower the threshold.',
        },
      );
    }
  },
});

/**
 * Says on stderr when the student's call cap cannot score the seed prompt and one candidate on the dev
 * set (each costs a call per dev example): such a run ends with the seed prompt, having tried nothing.
 */
function warnBudgetTooSmall(maxCalls: number | undefined, devExamples: number): void {
  if (maxCalls === undefined || maxCalls >= 2 * devExamples) return;
  const limit = Math.max(1, Math.floor(maxCalls / 4));
  process.stderr.write(
    `warning: --max-calls ${maxCalls} scores the seed prompt on the ${devExamples} dev examples and leaves no room for a candidate (each costs ${devExamples} calls), so nothing will be tried. Raise --max-calls to ${2 * devExamples} or more, or score fewer dev examples (--dev-limit ${limit} leaves room for about three).\n`,
  );
}

/**
 * Why a run that scored a candidate above the seed still ends with the seed prompt: a candidate replaces
 * it only when it is significantly better on the same dev examples, which few examples rarely show.
 */
function keptSeedNote(history: Trial[], seed: number, details: RunDetails): string | undefined {
  if (details.improved) return undefined;
  // a minibatch's score says nothing beside the seed's on dev: only trials scored on dev count
  const best = history
    .slice(1)
    .filter((trial) => trial.minibatch === undefined)
    .reduce<Trial | undefined>((a, b) => (!a || b.score > a.score ? b : a), undefined);
  if (!best || best.score <= seed) return undefined;
  return `kept the seed prompt: the best candidate (trial ${best.index}, ${best.score.toFixed(3)}) was not significantly better on the ${details.dev.length} dev examples (a paired test); more dev examples (--dev-limit) tell smaller differences apart, and the report shows each example\n`;
}
