// Work stopped on request (a signal, an abort) before it finished, with what was kept for a rerun.
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

const marker = Symbol.for('promptune.error.interrupted-error');

/** Work stopped on request (Ctrl-C, a job cancelled, an AbortSignal) before it finished. */
export class InterruptedError extends PromptuneError {
  private readonly [marker] = true;

  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options);
  }

  /** True for an InterruptedError (or a subclass), even one from another copy of the package. */
  static override isInstance(error: unknown): error is InterruptedError {
    return PromptuneError.hasMarker(error, marker);
  }
}
