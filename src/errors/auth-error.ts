// A caller who is not authenticated: no key, or a key that is unknown or revoked.
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

const marker = Symbol.for('promptune.error.auth-error');

/** A caller who is not authenticated: no key, or a key that is unknown or revoked. */
export class AuthError extends PromptuneError {
  private readonly [marker] = true;

  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options);
  }

  /** True for a AuthError (or a subclass), even one from another copy of the package. */
  static override isInstance(error: unknown): error is AuthError {
    return PromptuneError.hasMarker(error, marker);
  }
}
