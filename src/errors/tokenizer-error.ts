// A tokenizer that cannot be loaded or does not match its model.
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

/** A tokenizer that cannot be loaded or does not match its model. */
export class TokenizerError extends PromptuneError {
  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options);
  }
}
