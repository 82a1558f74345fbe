// The base error of promptune: a stable machine-readable `code` and a `hint` for the human.
// Subclasses exist per kind of failure; the CLI and server map codes to exits and statuses.

const marker = Symbol.for('promptune.error');

/** Options every promptune error accepts. */
export interface PromptuneErrorOptions {
  /** Stable identifier such as `WEIGHT_LOAD_BAD_MAGIC`. */
  code: string;
  /** What the user can do about it. */
  hint?: string;
  cause?: unknown;
}

/** Base class of all errors promptune throws on purpose. */
export class PromptuneError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  private readonly [marker] = true;

  constructor(message: string, options: PromptuneErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.hint = options.hint;
  }

  /** True for any promptune error, even one from another copy of the package. */
  static isInstance(error: unknown): error is PromptuneError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
