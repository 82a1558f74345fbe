// The base error of promptune: a stable machine-readable `code` and a `hint` for the human.
// Subclasses exist per kind of failure, each with its own marker, so `X.isInstance` recognises only
// X (and its subclasses) even across copies of the package; the CLI and the service map kinds to exit
// statuses and HTTP statuses in one place each.

const marker = Symbol.for('promptune.error');

/** Options every promptune error accepts. */
export interface PromptuneErrorOptions {
  /** Stable identifier in SCREAMING_SNAKE_CASE, such as `WEIGHT_LOAD_BAD_MAGIC`. */
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
    return PromptuneError.hasMarker(error, marker);
  }

  /** True when `error` is an object carrying `symbol` (each error kind's own marker). */
  protected static hasMarker(error: unknown, symbol: symbol): boolean {
    return typeof error === 'object' && error !== null && symbol in error;
  }
}
