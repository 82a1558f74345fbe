// A request that conflicts with the current state (an experiment already running on a label, or one
// changed by someone else since it was read).
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

const marker = Symbol.for('promptune.error.conflict-error');

/** A request that conflicts with the current state (an experiment already running, or changed meanwhile). */
export class ConflictError extends PromptuneError {
  private readonly [marker] = true;

  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options);
  }

  /** True for a ConflictError (or a subclass), even one from another copy of the package. */
  static override isInstance(error: unknown): error is ConflictError {
    return PromptuneError.hasMarker(error, marker);
  }
}
