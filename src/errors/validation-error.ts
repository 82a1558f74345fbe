// User input (options, prompts, requests, files) that breaks a documented rule.
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

const marker = Symbol.for('promptune.error.validation-error');

/** User input (options, prompts, requests, files) that breaks a documented rule. */
export class ValidationError extends PromptuneError {
  private readonly [marker] = true;

  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options);
  }

  /** True for a ValidationError (or a subclass), even one from another copy of the package. */
  static override isInstance(error: unknown): error is ValidationError {
    return PromptuneError.hasMarker(error, marker);
  }
}
