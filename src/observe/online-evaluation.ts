// Online evaluation: a sample of the service's stored traces scored in the background by evaluators
// (an LLM judge with a rubric, the task's metrics once a reference exists, or any function), each
// result a score with source `evaluator` on the trace. A bounded queue and one evaluation at a time:
// when the queue is full traces are skipped and counted, never the request slowed. Evaluators see the
// trace as stored, redacted.
import type { TraceRecord } from '../registry/index.js';
import type { ScoreInput } from '../registry/index.js';
import { judgePrompt, type TextGenerator } from '../tasks/index.js';
import { traceInput } from './trace-input.js';

/** Scores one stored trace; undefined when it does not apply (no output, another task, ...). */
export interface OnlineEvaluator {
  name: string;
  evaluate(trace: TraceRecord): Promise<number | boolean | string | undefined>;
}

/** How much traffic is evaluated and how much may wait. */
export interface OnlineEvaluationOptions {
  /** Share of successful service traces evaluated (0 to 1, default 0.1). */
  sampleRate?: number;
  /** Most traces waiting for evaluation (default 1,000); beyond it they are skipped and counted. */
  capacity?: number;
  random?: () => number;
  /** Told of an evaluator that failed on a trace (the others still run). */
  onError?: (error: unknown, evaluator: string, trace: TraceRecord) => void;
}

/** Evaluates a sample of traces in the background and stores the results as scores. */
export class OnlineEvaluation {
  private readonly queue: TraceRecord[] = [];
  private running: Promise<void> | undefined;
  private readonly counts = { evaluated: 0, skipped: 0, failed: 0 };

  constructor(
    private readonly scores: { add(input: ScoreInput): Promise<unknown> },
    private readonly evaluators: readonly OnlineEvaluator[],
    private readonly options: OnlineEvaluationOptions = {},
  ) {}

  /** Offers stored traces: a sample of the successful service ones is queued. Never waits. */
  offer(traces: readonly TraceRecord[]): void {
    const rate = this.options.sampleRate ?? 0.1;
    const random = this.options.random ?? Math.random;
    for (const trace of traces) {
      if (trace.source !== 'service' || trace.errorCode !== null || trace.output === null) continue;
      if (random() >= rate) continue;
      if (this.queue.length >= (this.options.capacity ?? 1000)) {
        this.counts.skipped++;
        continue;
      }
      this.queue.push(trace);
    }
    this.running ??= this.work().finally(() => (this.running = undefined));
  }

  /** Resolves when the queue is empty (shutdown, tests). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Evaluations made, traces skipped for a full queue, evaluator failures. */
  get stats() {
    return { ...this.counts, queued: this.queue.length };
  }

  private async work(): Promise<void> {
    for (let trace = this.queue.shift(); trace; trace = this.queue.shift()) {
      for (const evaluator of this.evaluators) {
        try {
          const value = await evaluator.evaluate(trace);
          if (value === undefined) continue;
          await this.scores.add({ traceId: trace.id, name: evaluator.name, value, source: 'evaluator' });
          this.counts.evaluated++;
        } catch (error) {
          this.counts.failed++;
          this.options.onError?.(error, evaluator.name, trace);
        }
      }
    }
  }
}

/**
 * An LLM judge over live traffic: any model (as a TextGenerator) grades each output against a rubric,
 * with no reference answer; the score is 0 to 1 (the judge answers 0 to `scale`). A verdict without a
 * score line is an error (counted), not a zero.
 */
export function judgeEvaluator(options: {
  judge: TextGenerator;
  rubric: string;
  name?: string;
  scale?: number;
  /** The task input as text (default: the last user message, the prompt, or the fields as JSON). */
  inputOf?: (trace: TraceRecord) => Record<string, unknown>;
}): OnlineEvaluator {
  const scale = options.scale ?? 10;
  const inputOf = options.inputOf ?? defaultInput;
  return {
    name: options.name ?? 'judge',
    async evaluate(trace) {
      const prompt = judgePrompt(
        options.rubric,
        inputOf(trace),
        '(none: grade the response by the rubric alone)',
        trace.output ?? '',
      );
      const verdict = await options.judge(prompt);
      const match = /SCORE:\s*(\d+(?:\.\d+)?)/i.exec(verdict);
      if (!match)
        throw new Error(`the judge's verdict had no SCORE line: ${JSON.stringify(verdict.slice(0, 200))}`);
      return Math.max(0, Math.min(1, Number(match[1]) / scale));
    },
  };
}

/** A trace's input as the judge reads it: the fields of a typed run, else the text as `input`. */
function defaultInput(trace: TraceRecord): Record<string, unknown> {
  const input = traceInput(trace);
  return typeof input === 'string' ? { input } : input;
}
