// A part the action needs is briefly unavailable (the engine restarting, the database busy): retry later.
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

const marker = Symbol.for('promptune.error.unavailable-error');

/** A part the action needs is briefly unavailable (the engine restarting, the database busy): retry later. */
export class UnavailableError extends PromptuneError {
  private readonly [marker] = true;

  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options);
  }

  /** True for a UnavailableError (or a subclass), even one from another copy of the package. */
  static override isInstance(error: unknown): error is UnavailableError {
    return PromptuneError.hasMarker(error, marker);
  }
}
