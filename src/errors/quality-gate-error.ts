// A score below the minimum a run was told to require (`--min-score`).
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

const marker = Symbol.for('promptune.error.quality-gate-error');

/** A score below the minimum a run was told to require (`--min-score`). */
export class QualityGateError extends PromptuneError {
  private readonly [marker] = true;

  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options);
  }

  /** True for a QualityGateError (or a subclass), even one from another copy of the package. */
  static override isInstance(error: unknown): error is QualityGateError {
    return PromptuneError.hasMarker(error, marker);
  }
}
