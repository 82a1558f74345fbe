// User input (options, prompts, requests) that breaks a documented rule.
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

/** User input (options, prompts, requests) that breaks a documented rule. */
export class ValidationError extends PromptuneError {
  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options);
  }
}
