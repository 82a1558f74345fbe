// A remote file that could not be fetched (offline, denied, interrupted).
import { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';

/** A remote file that could not be fetched (offline, denied, interrupted). */
export class DownloadError extends PromptuneError {
  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options);
  }
}
