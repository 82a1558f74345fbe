// Evaluates a task on a model: renders each example's prompt, calls the model with a concurrency limit
// and retries, caches responses by content, scores outputs with the task's metrics, and journals
// progress so a killed run resumes; each call's spend is journaled before it is sent, so the totals of a
// resumed run include what the killed one spent. Repeats give per-example variance; scores get bootstrap
// intervals.
import type { LanguageModelV3Prompt } from '@ai-sdk/provider';
import { join } from 'node:path';
import { GuardError, InterruptedError, upstreamError, ValidationError } from '../errors/index.js';
import {
  checkRecords,
  checksOf,
  type CheckOutcome,
  type CheckRecord,
  type GuardedValidator,
} from '../guard/index.js';
import {
  createMetrics,
  scoreOutput,
  type MetricScore,
  type TextGenerator,
  type Example,
  type Task,
  renderPrompt,
} from '../tasks/index.js';
import { callRecordSchema, type CallRecord } from './call-record.js';
import {
  constrainedModel,
  evaluationGuards,
  guardedModel,
  guardInput,
  outputParser,
} from './evaluation-guards.js';
import { Journal } from './journal.js';
import type { EvaluatedModel } from './evaluated-model.js';
import { meteredModel, worstCase } from './metered-model.js';
import { evaluatedModel, type ModelInput } from './model-input.js';

export type { EvaluatedModel } from './evaluated-model.js';
import { callCost, type Price } from './prices.js';
import { requestKey, type CachedResponse, type ResponseCache } from './response-cache.js';
import { isRetryable, retryReason, withRetries } from './retry.js';
import { emptyTally, SpendJournal, sumTallies } from './spend-journal.js';
import { answerText } from '../providers/index.js';

/** Where journals of unfinished runs go by default (relative to the working directory). */
export const defaultStateDirectory = '.promptune/runs';

/** Options for evaluate(). */
export interface EvaluationOptions {
  task: Task;
  split: string;
  examples: Example[];
  /** The model to evaluate: an AI SDK model, or a named one (resolveModel's). */
  model: ModelInput;
  concurrency?: number;
  repeats?: number;
  cache?: ResponseCache;
  /** Folder for journals of unfinished runs (default .promptune/runs). */
  stateDirectory?: string;
  judge?: TextGenerator;
  prices?: Record<string, Price>;
  retries?: number;
  timeoutMs?: number;
  /**
   * Stops the run: no call starts after it aborts, and once the calls under way are journaled it throws
   * InterruptedError (EVAL_INTERRUPTED), unless they were the last.
   */
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /**
   * Told of each failed call that is retried (a rate limit, a server error, a timeout): the example's
   * line, why, the retry's number and the wait before it.
   */
  onRetry?: (retry: { line: number; reason: string; attempt: number; delayMs: number }) => void;
  /**
   * Told of each call this run made or took from the cache (not of calls replayed from a killed run's
   * journal): to record them as traces, say.
   */
  onCall?: (call: EvaluatedCall) => void;
  /**
   * Decode under the task's constraint (its labels or JSON Schema, or `decoding.constrain`) even when
   * the spec does not turn it on; local models only.
   */
  constrain?: boolean;
  /** The model the task's `judge` validators ask. */
  guardJudge?: EvaluatedModel;
  /**
   * Journal each call's spend beside the results, so a resumed run's totals include the killed run's
   * (default true). Optimizers turn it off: their budget journals every call of the whole run.
   */
  journalSpend?: boolean;
}

/** One call of an evaluation as it finished: which example and repeat, what was recorded, when it started (epoch ms). */
export interface EvaluatedCall {
  example: Example;
  repeat: number;
  record: CallRecord;
  at: number;
  /**
   * What the call sampled with (the spec's generation settings, its seed plus the repeat); null when the
   * input guards answered without a call.
   */
  sampling: { temperature: number; topP: number | null; maxTokens: number; seed: number } | null;
}

/** One example's outcome over its repeats. */
export interface ExampleResult {
  index: number;
  id: string;
  line: number;
  fields: Record<string, unknown>;
  target: unknown;
  outputs: string[];
  /** Combined score per repeat. */
  scores: number[];
  /** Mean over repeats. */
  score: number;
  byMetric: Record<string, MetricScore>[];
  latencyMs: (number | undefined)[];
  /** Per repeat: the guards' verdicts (empty without guards; absent in reports written before guards). */
  checks?: CheckRecord[][];
  /** Per repeat: whether the output reads as the task's typed value (undefined for text tasks). */
  parsed?: (boolean | undefined)[];
}

/** Calls sent for a run, their tokens and cost. */
export interface Spend {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  /** Dollars; undefined when the model's price is unknown. */
  cost: number | undefined;
}

/** Everything a run measured, before statistics. */
export interface EvaluationRun {
  task: string;
  split: string;
  model: string;
  repeats: number;
  examples: ExampleResult[];
  calls: number;
  cacheHits: number;
  resumed: number;
  inputTokens: number;
  outputTokens: number;
  cost: number | undefined;
  /**
   * Every call sent for this run, including earlier runs killed before it finished (`earlierCalls` of
   * them; a call in flight at a kill counts at its worst case).
   */
  spend: Spend & { earlierCalls: number };
  durationMs: number;
  /** Outputs were decoded under a constraint (the local engine, asked by the spec or `constrain`). */
  constrained: boolean;
  /** What the task's judge validators spent (absent without any): calls, tokens and dollars. */
  guardJudge?: Spend;
  /** Answers the provider's content filter withheld (each scored as the output it left, usually empty). */
  contentFiltered?: number;
  /** Calls whose provider reported no token counts: their tokens (and cost) are their worst case. */
  usageEstimated?: number;
  /** Failed calls this process retried, by why ("HTTP 429": 3); they count among `calls`. */
  retries?: Record<string, number>;
}

/** The chat prompt for one example: the task's system text, then the rendered template. */
export function examplePrompt(task: Task, example: Example): LanguageModelV3Prompt {
  const text = renderPrompt(
    task.spec,
    example.fields,
    `${task.path ?? task.spec.name}: example at line ${example.line}`,
  );
  return [
    ...(task.spec.prompt.system ? [{ role: 'system' as const, content: task.spec.prompt.system }] : []),
    { role: 'user', content: [{ type: 'text', text }] },
  ];
}

/** Runs the evaluation; throws if aborted (the journal keeps what finished). */
export async function evaluate(options: EvaluationOptions): Promise<EvaluationRun> {
  const { task, examples } = options;
  const model = evaluatedModel(options.model, 'model');
  const repeats = options.repeats ?? 1;
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(repeats) || repeats < 1 || !Number.isInteger(concurrency) || concurrency < 1) {
    throw new ValidationError(
      `repeats ${repeats} and concurrency ${concurrency} must be whole numbers >= 1`,
      {
        code: 'EVAL_OPTIONS',
        hint: 'Give repeats and concurrency (--repeats, --concurrency on the command line) as whole numbers of 1 or more.',
      },
    );
  }
  if (examples.length === 0)
    throw new ValidationError(`no examples to evaluate ${task.spec.name} on`, {
      code: 'EVAL_NO_EXAMPLES',
      hint: 'Give evaluate at least one example (a split file that is empty, or a --limit of 0, gives none).',
    });
  const started = Date.now();
  const generation = task.spec.generation;
  const baseDirectory = task.path ? join(task.path, '..') : process.cwd();
  const metrics = await createMetrics(task.spec.metrics, {
    task: task.spec,
    baseDirectory,
    judge: options.judge,
  });
  const guarding = await evaluationGuards(task.spec, model.model, {
    constrain: options.constrain,
    judge: options.guardJudge?.model,
    baseDirectory,
  });
  const parsed = outputParser(task.spec);
  const runKey = requestKey({
    task: task.spec,
    split: options.split,
    model: model.name,
    repeats,
    examples: examples.map((example) => example.id),
    // what changes the answers beyond the spec: a constraint asked for on the command line, the judge
    ...(guarding.constraint && { constraint: guarding.constraint }),
    ...(options.guardJudge && { guardJudge: options.guardJudge.name }),
  });
  const journalPath = join(
    options.stateDirectory ?? defaultStateDirectory,
    `${task.spec.name}-${runKey.slice(0, 16)}.jsonl`,
  );
  const journal = new Journal(journalPath, callRecordSchema);
  const spendJournal =
    options.journalSpend === false
      ? undefined
      : new SpendJournal(journalPath.replace(/\.jsonl$/, '.spend.jsonl'));
  const earlier = sumTallies(
    spendJournal?.settled('model') ?? emptyTally(),
    spendJournal?.unsettled('model') ?? emptyTally(),
  );
  let fresh = emptyTally(); // this process's calls, retries included
  // constrained below the meter, guarded above it: every re-ask is metered and budgeted
  const caller = meteredModel(
    { ...model, model: constrainedModel(model.model, guarding) },
    {
      reserve: (worst) => spendJournal?.reserve('model', worst),
      settle: (id, used) => {
        if (id !== undefined) spendJournal?.settle(id, used);
        fresh = sumTallies(fresh, { calls: 1, ...used });
      },
    },
  );
  const called = guardedModel(caller.model, guarding);
  const resumedAtStart = journal.size;
  const retries = new Map<string, number>(); // failed calls retried, by why
  let cacheHits = 0;
  let done = 0;
  const jobs = examples.flatMap((example) =>
    Array.from({ length: repeats }, (_, repeat) => ({ example, repeat })),
  );
  const records = new Map<string, CallRecord>();

  const runJob = async ({ example, repeat }: (typeof jobs)[number]) => {
    const jobKey = `${example.id}:${example.index}:${repeat}`;
    const journaled = journal.get(jobKey);
    if (journaled) {
      records.set(jobKey, journaled);
      model.replayed?.(journaled);
      return;
    }
    const startedAt = Date.now();
    const input = await guardInput(example.fields, guarding);
    const prompt = examplePrompt(task, { ...example, fields: input.fields });
    const parameters = {
      maxOutputTokens: generation.maxTokens,
      temperature: generation.temperature,
      topP: generation.topP,
      stopSequences: generation.stop.length ? generation.stop : undefined,
      seed: generation.seed + repeat,
    };
    const key = requestKey({
      provider: model.model.provider,
      modelId: model.model.modelId,
      ...(model.endpoint && { endpoint: model.endpoint }),
      parameters,
      prompt,
      ...(guarding.guards && { guards: task.spec.guards, modules: guardFingerprints(guarding) }),
      ...(guarding.constraint && { constraint: guarding.constraint }),
      ...(guarding.guards && options.guardJudge && { guardJudge: options.guardJudge.name }),
    });
    // a refused or refrained input is answered without a call (and without the cache)
    const unasked: CachedResponse | undefined =
      input.answer === undefined
        ? undefined
        : { text: input.answer, inputTokens: 0, outputTokens: 0, latencyMs: 0, checks: input.checks };
    let response: CachedResponse | undefined = unasked ?? options.cache?.get(key);
    const fromCache = response !== undefined && !unasked;
    if (response) {
      if (!unasked) {
        cacheHits++;
        model.replayed?.(response);
      }
    } else {
      const start = performance.now();
      try {
        const result = await withRetries(
          (abortSignal) => called.doGenerate({ prompt, ...parameters, abortSignal }),
          // a stop lets the call under way finish, but ends a wait to retry it (a long Retry-After)
          {
            retries: options.retries,
            timeoutMs: options.timeoutMs,
            stop: options.signal,
            onRetry: (error, attempt, delayMs) => {
              const reason = retryReason(error);
              retries.set(reason, (retries.get(reason) ?? 0) + 1);
              options.onRetry?.({ line: example.line, reason, attempt, delayMs });
            },
          },
        );
        const checks = [...input.checks, ...checkRecords(checksOf(result))];
        // a provider that reports no usage (some OpenAI-compatible servers) is counted at the call's worst
        // case, as its budget was, and said to be: never as 0 tokens and $0
        const worst = worstCase({ prompt, ...parameters });
        const inputTokens = result.usage.inputTokens.total;
        const outputTokens = result.usage.outputTokens.total;
        response = {
          text: answerText(result.content),
          inputTokens: inputTokens ?? worst.inputTokens,
          outputTokens: outputTokens ?? worst.outputTokens,
          latencyMs: performance.now() - start,
          ...(checks.length > 0 && { checks }),
          // what the filter left is scored, and counted apart, so a withheld answer never passes as a wrong one
          ...(result.finishReason.unified === 'content-filter' && { contentFiltered: true as const }),
          ...((inputTokens === undefined || outputTokens === undefined) && { usageEstimated: true as const }),
        };
      } catch (error) {
        // a guard whose policy is exception refused: no output for this example, which scores as such
        if (!GuardError.isInstance(error)) throw error;
        const checks = [...input.checks, ...checkRecords(error.checks as CheckOutcome[])];
        const spent = error.usage ?? { inputTokens: 0, outputTokens: 0 };
        response = { text: '', ...spent, latencyMs: performance.now() - start, checks };
      }
      options.cache?.put(key, response);
    }
    const scored = await scoreOutput(metrics, example, response.text);
    const record: CallRecord = {
      output: response.text,
      score: scored.score,
      byMetric: scored.byMetric,
      inputTokens: response.inputTokens,
      outputTokens: response.outputTokens,
      latencyMs: fromCache ? undefined : response.latencyMs,
      fromCache,
      cost: fromCache ? 0 : callCost(model, response.inputTokens, response.outputTokens, options.prices),
      ...(response.checks && { checks: response.checks }),
      ...(parsed(response.text) !== undefined && { parsed: parsed(response.text) }),
      ...(response.contentFiltered && { contentFiltered: true as const }),
      ...(response.usageEstimated && { usageEstimated: true as const }),
    };
    records.set(jobKey, record);
    journal.add(jobKey, record);
    options.onCall?.({
      example,
      repeat,
      record,
      at: startedAt,
      sampling: unasked
        ? null
        : {
            temperature: parameters.temperature,
            topP: parameters.topP ?? null,
            maxTokens: parameters.maxOutputTokens,
            seed: parameters.seed,
          },
    });
  };

  let next = 0;
  let failed = false; // once a job fails the run is lost: the other workers stop spending on it
  // once the signal aborts no job starts, and the calls under way finish and are journaled first
  const worker = async () => {
    while (next < jobs.length && !failed && !options.signal?.aborted) {
      const job = jobs[next++];
      try {
        await runJob(job);
      } catch (error) {
        // stopped while its call failed or waited to be retried: unanswered, for the rerun to ask again
        if (options.signal?.aborted && isRetryable(error)) return;
        failed = true;
        throw atExample(error, options.split, job.example.line);
      }
      options.onProgress?.(++done, jobs.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  if (options.signal?.aborted && done < jobs.length)
    throw new InterruptedError(`evaluation stopped after ${done} of ${jobs.length} answers`, {
      code: 'EVAL_INTERRUPTED',
      cause: options.signal.reason, // why it was stopped: a timeout, the caller's own reason
      hint: `The answers are journaled in ${journalPath}: run it again to continue from them without asking again.`,
    });

  const results: ExampleResult[] = examples.map((example) => {
    const own = Array.from({ length: repeats }, (_, repeat) =>
      records.get(`${example.id}:${example.index}:${repeat}`)!,
    );
    const scores = own.map((record) => record.score);
    return {
      index: example.index,
      id: example.id,
      line: example.line,
      fields: example.fields,
      target: example.target,
      outputs: own.map((record) => record.output),
      scores,
      score: scores.reduce((sum, value) => sum + value, 0) / scores.length,
      byMetric: own.map((record) => record.byMetric),
      latencyMs: own.map((record) => record.latencyMs),
      checks: own.map((record) => record.checks ?? []),
      parsed: own.map((record) => record.parsed),
    };
  });
  const all = [...records.values()];
  const costs = all.map((record) => record.cost);
  // the results first: a kill between the two leaves a spend journal that over-counts, never one short
  journal.remove();
  spendJournal?.remove();
  const spent = sumTallies(earlier, fresh);
  return {
    task: task.spec.name,
    split: options.split,
    model: model.name,
    repeats,
    examples: results,
    calls: fresh.calls,
    cacheHits,
    resumed: resumedAtStart,
    inputTokens: all.reduce((sum, record) => sum + record.inputTokens, 0),
    outputTokens: all.reduce((sum, record) => sum + record.outputTokens, 0),
    cost: costs.some((cost) => cost === undefined)
      ? undefined
      : costs.reduce((sum: number, cost) => sum + cost!, 0),
    spend: {
      ...spent,
      cost: callCost(model, spent.inputTokens, spent.outputTokens, options.prices),
      earlierCalls: earlier.calls,
    },
    durationMs: Date.now() - started,
    constrained: guarding.constraint !== undefined,
    contentFiltered: all.filter((record) => record.contentFiltered).length,
    usageEstimated: all.filter((record) => record.usageEstimated).length,
    ...(retries.size > 0 && { retries: Object.fromEntries(retries) }),
    ...(options.guardJudge && { guardJudge: judgeSpend(all, options.guardJudge, options.prices) }),
  };
}

/** The calls, tokens and cost of the judge validators' verdicts in a run's records. */
function judgeSpend(
  records: CallRecord[],
  judge: EvaluatedModel,
  prices: Record<string, Price> | undefined,
): Spend {
  // answers replayed from the cache spent nothing this run, their judge included
  const usages = records
    .filter((record) => !record.fromCache)
    .flatMap((record) => (record.checks ?? []).flatMap((check) => (check.usage ? [check.usage] : [])));
  const inputTokens = usages.reduce((sum, usage) => sum + usage.inputTokens, 0);
  const outputTokens = usages.reduce((sum, usage) => sum + usage.outputTokens, 0);
  return {
    calls: usages.length,
    inputTokens,
    outputTokens,
    cost: callCost(judge, inputTokens, outputTokens, prices),
  };
}

/** The fingerprints of validators whose behaviour their spec entry does not fix (custom modules' contents). */
function guardFingerprints(guarding: { guards?: { input: GuardedValidator[]; output: GuardedValidator[] } }) {
  const all = [...(guarding.guards?.input ?? []), ...(guarding.guards?.output ?? [])];
  return all.flatMap(({ validator }) => (validator.fingerprint ? [validator.fingerprint] : []));
}

/**
 * An example's input the model refused (too long for its context), named by its line in the split:
 * the engine's message counts prompts within its batch, which no file has. A provider's failure (the AI
 * SDK's error, retries spent) becomes a ProviderError with a code and a hint, as every error the library
 * throws has. Other failures are as thrown.
 */
function atExample(error: unknown, split: string, line: number): unknown {
  const upstream = upstreamError(error, 'command');
  if (upstream) return upstream;
  // only what the example's own input caused: a missing price, say, is the run's, not a line's
  if (!ValidationError.isInstance(error) || error.code !== 'CONTEXT_OVERFLOW') return error;
  return new ValidationError(`${split} example at line ${line}: ${error.message}`, {
    code: error.code,
    hint: `${error.hint ? `${error.hint} ` : ''}Or take that example out of the ${split} file.`,
    cause: error,
  });
}
