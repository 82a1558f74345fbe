// A model file that is missing, truncated, of the wrong format or unsupported.
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

/** A model file that is missing, truncated, of the wrong format or unsupported. */
export class WeightLoadError extends PromptuneError {
  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options);
  }
}
