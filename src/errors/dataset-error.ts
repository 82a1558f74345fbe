// A dataset file that cannot be read as examples: bad syntax, missing fields, empty files.
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

const marker = Symbol.for('promptune.error.dataset-error');

/** A dataset file that cannot be read as examples: bad syntax, missing fields, empty files. */
export class DatasetError extends PromptuneError {
  private readonly [marker] = true;

  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options);
  }

  /** True for a DatasetError (or a subclass), even one from another copy of the package. */
  static override isInstance(error: unknown): error is DatasetError {
    return PromptuneError.hasMarker(error, marker);
  }
}
