// A model provider (an upstream LLM API) failed or answered something unusable.
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

const marker = Symbol.for('promptune.error.provider-error');

/** A model provider (an upstream LLM API) failed or answered something unusable. */
export class ProviderError extends PromptuneError {
  private readonly [marker] = true;

  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options);
  }

  /** True for a ProviderError (or a subclass), even one from another copy of the package. */
  static override isInstance(error: unknown): error is ProviderError {
    return PromptuneError.hasMarker(error, marker);
  }
}
