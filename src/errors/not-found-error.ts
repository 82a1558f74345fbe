// A named thing (file, model, version) that does not exist.
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

const marker = Symbol.for('promptune.error.not-found-error');

/** A named thing (file, model, version) that does not exist. */
export class NotFoundError extends PromptuneError {
  private readonly [marker] = true;

  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options);
  }

  /** True for a NotFoundError (or a subclass), even one from another copy of the package. */
  static override isInstance(error: unknown): error is NotFoundError {
    return PromptuneError.hasMarker(error, marker);
  }
}

/** `found`'s value, or undefined when it fails as a NotFoundError; any other failure stands. */
export function unlessNotFound<T>(found: Promise<T>): Promise<T | undefined> {
  return found.catch((error: unknown) => {
    if (NotFoundError.isInstance(error)) return undefined;
    throw error;
  });
}
