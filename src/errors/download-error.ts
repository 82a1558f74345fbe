// A remote file that could not be fetched (offline, denied, interrupted).
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

const marker = Symbol.for('promptune.error.download-error');

/** A remote file that could not be fetched (offline, denied, interrupted). */
export class DownloadError extends PromptuneError {
  private readonly [marker] = true;

  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options);
  }

  /** True for a DownloadError (or a subclass), even one from another copy of the package. */
  static override isInstance(error: unknown): error is DownloadError {
    return PromptuneError.hasMarker(error, marker);
  }
}
