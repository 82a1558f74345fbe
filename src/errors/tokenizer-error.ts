// A tokenizer that cannot be loaded or does not match its model.
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

const marker = Symbol.for('promptune.error.tokenizer-error');

/** A tokenizer that cannot be loaded or does not match its model. */
export class TokenizerError extends PromptuneError {
  private readonly [marker] = true;

  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options);
  }

  /** True for a TokenizerError (or a subclass), even one from another copy of the package. */
  static override isInstance(error: unknown): error is TokenizerError {
    return PromptuneError.hasMarker(error, marker);
  }
}
