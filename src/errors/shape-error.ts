// Tensor or kernel arguments whose sizes do not fit together.
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

const marker = Symbol.for('promptune.error.shape-error');

/** Tensor or kernel arguments whose sizes do not fit together. */
export class ShapeError extends PromptuneError {
  private readonly [marker] = true;

  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options);
  }

  /** True for a ShapeError (or a subclass), even one from another copy of the package. */
  static override isInstance(error: unknown): error is ShapeError {
    return PromptuneError.hasMarker(error, marker);
  }
}
