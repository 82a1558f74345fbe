// A guard that refused: an input or output failed a validator whose on-fail policy is `exception`.
// Carries the outcome of every check and the tokens the call spent, so the caller can show which
// validator failed and why, and count what the refused call cost.
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

const marker = Symbol.for('promptune.error.guard-error');

/** One validator's verdict as a GuardError reports it. */
export interface GuardFailure {
  validator: string;
  reason: string;
}

/** An input or output refused by a guard (the service answers 422). */
export class GuardError extends PromptuneError {
  private readonly [marker] = true;
  /** Which side was refused. */
  readonly stage: 'input' | 'output';
  /** The validators that failed, with their reasons. */
  readonly failures: GuardFailure[];
  /** Every verdict of the call up to the refusal (the guard layer's CheckOutcome records). */
  readonly checks: readonly object[];
  /** Tokens the model calls spent before the refusal (absent for inputs: no call was made). */
  readonly usage: { inputTokens: number; outputTokens: number } | undefined;
  /** The refused answer (outputs only), for a caller in code; the service's traces do not keep it. */
  readonly output: string | undefined;

  constructor(
    message: string,
    options: PromptuneErrorOptions & {
      stage?: 'input' | 'output';
      failures?: GuardFailure[];
      checks?: readonly object[];
      usage?: { inputTokens: number; outputTokens: number };
      output?: string;
    },
  ) {
    super(message, options);
    this.stage = options.stage ?? 'output';
    this.failures = options.failures ?? [];
    this.checks = options.checks ?? [];
    this.usage = options.usage;
    this.output = options.output;
  }

  /** True for a GuardError (or a subclass), even one from another copy of the package. */
  static override isInstance(error: unknown): error is GuardError {
    return PromptuneError.hasMarker(error, marker);
  }
}
