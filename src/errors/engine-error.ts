// The local engine failed while running a request (not the request's fault).
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

const marker = Symbol.for('promptune.error.engine-error');

/** The local engine failed while running a request (not the request's fault). */
export class EngineError extends PromptuneError {
  private readonly [marker] = true;

  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options);
  }

  /** True for a EngineError (or a subclass), even one from another copy of the package. */
  static override isInstance(error: unknown): error is EngineError {
    return PromptuneError.hasMarker(error, marker);
  }
}
