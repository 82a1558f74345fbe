// A dataset file that cannot be read as examples: bad syntax, missing fields, empty files.
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

/** A dataset file that cannot be read as examples: bad syntax, missing fields, empty files. */
export class DatasetError extends PromptuneError {
  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options);
  }
}
