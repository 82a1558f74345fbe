// Tensor or kernel arguments whose sizes do not fit together.
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

/** Tensor or kernel arguments whose sizes do not fit together. */
export class ShapeError extends PromptuneError {
  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options);
  }
}
