// A caller without the scope an action needs (e.g. moving a protected label without admin).
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

/** A caller without the scope an action needs (e.g. moving a protected label without admin). */
export class AuthError extends PromptuneError {
  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options);
  }
}
