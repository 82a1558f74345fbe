// A named thing (file, model, version) that does not exist.
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

/** A named thing (file, model, version) that does not exist. */
export class NotFoundError extends PromptuneError {
  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options);
  }
}
