// An authenticated caller without the scope an action needs (e.g. moving a protected label without admin).
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

const marker = Symbol.for('promptune.error.permission-error');

/** An authenticated caller without the scope an action needs (e.g. moving a protected label without admin). */
export class PermissionError extends PromptuneError {
  private readonly [marker] = true;

  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options);
  }

  /** True for a PermissionError (or a subclass), even one from another copy of the package. */
  static override isInstance(error: unknown): error is PermissionError {
    return PromptuneError.hasMarker(error, marker);
  }
}
