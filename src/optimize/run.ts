// What every optimizer run starts and ends with: the budget tracker and the counted models (over the
// run's spend journal, so a killed run resumes with what it spent), the trial history, the seed prompt
// scored on dev as trial 0, the early-stopping rules, and the result (artifact plus the details a report
// needs) built from the final prompt.
import { join } from 'node:path';
import {
  InterruptedError,
  PromptuneError,
  ProviderError,
  upstreamError,
  ValidationError,
} from '../errors/index.js';
import {
  defaultStateDirectory,
  evaluatedModel,
  type EvaluatedModel,
  judgeGenerator,
  requestKey,
  SpendJournal,
  mean,
  rightOrWrong,
} from '../eval/index.js';
import { constrain, taskConstraint } from '../guard/index.js';
import { LocalLanguageModel } from '../providers/index.js';
import type { Task, TextGenerator } from '../tasks/index.js';
import { makeArtifact } from './artifact.js';
import { BudgetTracker, roles } from './budget.js';
import { scorePrompt, type PromptScores, type ScoringContext } from './candidate.js';
import type { OptimizeOptions, OptimizeResult, Optimizer, ScoredPrompt, Trial } from './types.js';

/** A started optimizer run. */
export interface OptimizerRun {
  seed: number;
  tracker: BudgetTracker;
  student: EvaluatedModel;
  /** Present whenever the caller passed one (always, with requireTeacher). */
  teacher: EvaluatedModel | undefined;
  shared: ScoringContext;
  history: Trial[];
  /** The seed prompt's results on dev. */
  baseline: PromptScores;
  record(trial: Trial): void;
  /**
   * Why the run should stop now, given the incumbent's dev scores, or undefined to go on: the incumbent
   * is perfect (unless `perfect` is false), no candidate could be significantly better than it (unless
   * `significance` is false), or `patience`
   * trials in a row were not accepted.
   */
  stopReason(
    incumbent: number[],
    options?: { significance?: boolean; perfect?: boolean },
  ): string | undefined;
  /** Ends the run: the result for `final`, and why the run ended (default: its plan was done). */
  finish(final: ScoredPrompt, stopped?: string): OptimizeResult;
}

/**
 * `optimizer`, whose run stopped by the caller's signal is an InterruptedError of its own
 * (OPTIMIZE_INTERRUPTED, naming the trials done, the signal's reason as `cause`), not the scoring's or
 * a model call's that the abort happened to land in; and whose provider failures (a teacher's call,
 * which no evaluation wraps) are ProviderErrors with a code and a hint, not the AI SDK's bare errors.
 */
export function stoppable(optimizer: Optimizer): Optimizer {
  return {
    name: optimizer.name,
    async optimize(task, options) {
      let trials = 0;
      try {
        return await optimizer.optimize(task, {
          ...options,
          onTrial: (trial) => {
            trials += 1;
            options.onTrial?.(trial);
          },
        });
      } catch (error) {
        // a call the abort cut short may fail as the provider's error (now a ProviderError): still the stop
        const stopped =
          options.signal?.aborted &&
          (InterruptedError.isInstance(error) ||
            ProviderError.isInstance(error) ||
            !PromptuneError.isInstance(error));
        if (!stopped) throw upstreamError(error, 'command') ?? error;
        throw new InterruptedError(`optimization stopped after ${trials} trial${trials === 1 ? '' : 's'}`, {
          code: 'OPTIMIZE_INTERRUPTED',
          hint: 'Its answers and spend are journaled (under stateDirectory, default .promptune/runs): run it again with the same options to continue without asking again; the budget holds over both runs.',
          cause: options.signal?.reason ?? error,
        });
      }
    },
  };
}

/** The judge as a text generator whose verdicts are cached, so a replayed run does not ask again. */
function cachedJudge(judge: EvaluatedModel, cache: ScoringContext['cache']): TextGenerator {
  const generate = judgeGenerator(judge);
  return async (prompt) => {
    const key = requestKey({
      judge: [judge.model.provider, judge.model.modelId],
      ...(judge.endpoint && { endpoint: judge.endpoint }),
      prompt,
    });
    const cached = cache?.get(key);
    if (cached) {
      judge.replayed?.(cached);
      return cached.text;
    }
    const text = await generate(prompt);
    cache?.put(key, { text, inputTokens: 0, outputTokens: 0, latencyMs: 0 });
    return text;
  };
}

/**
 * Whether no candidate can be significantly better than `scores` on the same examples: even a candidate
 * perfect everywhere wins only where the incumbent is below 1. On right-or-wrong scores McNemar's
 * exact p-value is then 2 / 2^improvable at best; otherwise the paired bootstrap's is at least the
 * chance that a resample draws none of those examples.
 */
export function noSignificantGainPossible(scores: number[], alpha: number): boolean {
  const n = scores.length;
  const improvable = scores.filter((score) => score < 1).length;
  if (n === 0) return true;
  if (rightOrWrong(scores)) return Math.min(1, 2 * 0.5 ** improvable) >= alpha;
  return ((n - improvable) / n) ** n >= alpha;
}

/**
 * Where a run journals its spend: named by what decides its calls (task, optimizer and its settings,
 * models, data, seed), not by its caps or prices, so a resume with a raised cap continues the same run.
 */
export function spendJournalPath(task: Task, options: OptimizeOptions, name: string, plan: unknown): string {
  const key = requestKey({
    optimizer: name,
    plan,
    task: task.spec,
    models: [
      evaluatedModel(options.student, 'student').name,
      options.teacher && evaluatedModel(options.teacher, 'teacher').name,
      options.judge && evaluatedModel(options.judge, 'judge').name,
    ],
    train: options.train.map((example) => example.id),
    dev: options.dev.map((example) => example.id),
    seed: options.seed ?? 0,
    alpha: options.alpha,
    patience: options.patience,
    // the answers a rerun replays are this cache's: another cache file is another run
    cache: options.cache?.path,
  });
  return join(
    options.stateDirectory ?? defaultStateDirectory,
    `optimize-${task.spec.name}-${key.slice(0, 16)}.spend.jsonl`,
  );
}

/**
 * What no optimizer can run on, refused before any call: no dev examples to score prompts on (the best
 * prompt would be "perfect" on none), and a cap that is not a number of at least 0.
 */
function checkRunInput(options: OptimizeOptions): void {
  if (options.dev.length === 0)
    throw new ValidationError('there are no dev examples to score prompts on', {
      code: 'OPTIMIZE_NO_DEV',
      hint: "Pass dev examples (the task's dev split: loadSplit(task, 'dev')); optimize scores every candidate prompt on them.",
    });
  for (const [role, caps] of Object.entries(options.budget ?? {}))
    for (const [kind, cap] of Object.entries((caps ?? {}) as Record<string, unknown>))
      // (NaN is not at least 0; Infinity is, and caps nothing)
      if (cap !== undefined && !(typeof cap === 'number' && cap >= 0))
        throw new ValidationError(
          `the budget's ${role}.${kind} is ${String(cap)}, not a number of at least 0`,
          {
            code: 'OPTIMIZE_BAD_BUDGET',
            hint: 'Give each cap as a number of at least 0, e.g. budget: { student: { calls: 200 }, total: { dollars: 0.5 } }.',
          },
        );
}

/**
 * Starts a run of optimizer `name` (with settings `plan`): checks the teacher (before any call), opens
 * the run's spend journal (resuming a killed run's spend), then scores the seed prompt.
 */
export async function startRun(
  task: Task,
  options: OptimizeOptions,
  name: string,
  settings: { requireTeacher?: boolean; seedDescription: string; plan: unknown },
): Promise<OptimizerRun> {
  checkRunInput(options);
  if (settings.requireTeacher && !options.teacher) {
    throw new ValidationError(`the ${name} optimizer needs a teacher model`, {
      code: 'OPTIMIZE_NO_TEACHER',
      hint: 'Pass --teacher <model> (it may be the same as --model).',
    });
  }
  const seed = options.seed ?? 0;
  const alpha = options.alpha ?? 0.05;
  const journal = new SpendJournal(spendJournalPath(task, options, name, settings.plan));
  const tracker = new BudgetTracker(options.budget, options.prices, journal, options.onCall);
  // a local student decodes under the task's constraint; it is applied before the meter wraps it
  const constraint = taskConstraint(task.spec);
  const named = evaluatedModel(options.student, 'student');
  const local = named.model instanceof LocalLanguageModel;
  const student = tracker.wrap(
    constraint && local ? { ...named, model: constrain(named.model, constraint) } : named,
    'student',
  );
  const teacher = options.teacher
    ? tracker.wrap(evaluatedModel(options.teacher, 'teacher'), 'teacher')
    : undefined;
  const meteredJudge = options.judge
    ? tracker.wrap(evaluatedModel(options.judge, 'judge'), 'judge')
    : undefined;
  const judge = meteredJudge ? cachedJudge(meteredJudge, options.cache) : undefined;
  const shared: ScoringContext = {
    cache: options.cache,
    stateDirectory: options.stateDirectory,
    judge,
    guardJudge: meteredJudge,
    guards: options.guards,
    signal: options.signal,
    concurrency: options.concurrency,
    timeoutMs: options.timeoutMs,
    onScoring: options.onScoring,
  };
  const history: Trial[] = [];
  let sinceAccepted = 0;
  const record = (trial: Trial) => {
    history.push(trial);
    sinceAccepted = trial.accepted ? 0 : sinceAccepted + 1;
    options.onTrial?.(trial);
  };
  const baseline = await scorePrompt(task, task.spec.prompt, options.dev, student, shared);
  record({
    index: 0,
    description: settings.seedDescription,
    score: mean(baseline.scores),
    accepted: true,
    calls: baseline.calls,
    parseRate: baseline.parseRate,
    ...(baseline.contentFiltered && { contentFiltered: baseline.contentFiltered }),
  });
  const stopReason = (
    incumbent: number[],
    stopOptions: { significance?: boolean; perfect?: boolean } = {},
  ) => {
    if ((stopOptions.perfect ?? true) && incumbent.every((score) => score >= 1))
      return 'the best prompt is perfect on dev';
    if ((stopOptions.significance ?? true) && noSignificantGainPossible(incumbent, alpha))
      return `no candidate could be significantly better on ${incumbent.length} dev examples`;
    if (options.patience !== undefined && sinceAccepted >= options.patience)
      return `${sinceAccepted} trials in a row without an accepted candidate`;
    return undefined;
  };
  const finish = (final: ScoredPrompt, stopped = 'all planned trials ran') => {
    const earlier = tracker.earlier;
    const spend = {
      ...tracker.total,
      earlierCalls: roles.reduce((sum, role) => sum + earlier[role].calls, 0),
    };
    const artifact = makeArtifact(task, name, seed, spend, final.prompt, baseline.scores, final.scores);
    artifact.optimizer.stopped = stopped;
    // with a cache file the journal is kept: the same command run again replays this run from it (its
    // calls count as spent, so the budget holds over every run of the command and the rerun stops where
    // this one did, with the same prompt, asking for nothing); a raised cap continues it, as after a
    // kill. Without one nothing could be replayed: a rerun is a new run, with a budget of its own.
    if (!options.cache || options.cache.path === ':memory:') journal.remove();
    return {
      artifact,
      history,
      details: {
        dev: options.dev.map((example) => ({
          id: example.id,
          line: example.line,
          input: example.fields,
          target: example.target,
        })),
        seed: { prompt: task.spec.prompt, scores: baseline.scores, outputs: baseline.outputs },
        final,
        improved: final.prompt !== task.spec.prompt,
        usage: tracker.used,
        earlier,
        replayed: tracker.replayedCalls,
        budget: options.budget,
        stopped,
      },
    };
  };
  return { seed, tracker, student, teacher, shared, history, baseline, record, stopReason, finish };
}
