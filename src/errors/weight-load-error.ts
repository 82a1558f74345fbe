// A model file that is missing, truncated, of the wrong format or unsupported.
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

const marker = Symbol.for('promptune.error.weight-load-error');

/** A model file that is missing, truncated, of the wrong format or unsupported. */
export class WeightLoadError extends PromptuneError {
  private readonly [marker] = true;

  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options);
  }

  /** True for a WeightLoadError (or a subclass), even one from another copy of the package. */
  static override isInstance(error: unknown): error is WeightLoadError {
    return PromptuneError.hasMarker(error, marker);
  }
}
