// The Validator contract: a named check of one text (a model's output, or a request's input) that
// says whether it passes, why not, and where in the text. Validators may offer deterministic repairs
// (`fix`, `filter`) for the on-fail policies; deciding which policy applies is the runner's, not theirs.
// Types only.

/** One problem a validator found, with where it is in the text when it has a place. */
export interface CheckIssue {
  reason: string;
  /** UTF-16 offsets into the text checked, end exclusive. */
  start?: number;
  end?: number;
}

/** Tokens a validator spent (an LLM judge); others spend none. */
export interface CheckUsage {
  inputTokens: number;
  outputTokens: number;
}

/** A validator's verdict on one text. */
export interface CheckResult {
  passed: boolean;
  /** Empty when passed. */
  issues: CheckIssue[];
  usage?: CheckUsage;
}

/** What validators may need besides the text. */
export interface CheckContext {
  /** Token count of a text in the model's tokenizer (length validators by tokens need it). */
  countTokens?: (text: string) => number;
  /** The model's own token count of a text it generated: counting that text again is not needed. */
  knownTokens?: { text: string; tokens: number };
  signal?: AbortSignal;
}

/** A named check with optional repairs. */
export interface Validator {
  /** Unique within a guard set: reports, scores and metrics use it. */
  readonly name: string;
  /** The validator family (`json-schema`, `pii`, ...). */
  readonly kind: string;
  /**
   * What identifies its behaviour beyond its spec entry (a custom module's content hash), so caches of
   * guarded answers do not outlive a change to it.
   */
  readonly fingerprint?: string;
  /**
   * True when a failure on a prefix of the text is a failure of every longer text (banned words, PII,
   * a regex that must not occur), so a stream can be judged as it grows.
   */
  readonly prefixFailures: boolean;
  check(text: string, context: CheckContext): CheckResult | Promise<CheckResult>;
  /** A deterministic repair of a failing text (the `fix` policy), or undefined when none is known. */
  fix?(text: string, result: CheckResult): string | undefined;
  /** The text without what offends (the `filter` policy), or undefined when nothing can be dropped. */
  filter?(text: string, result: CheckResult): string | undefined;
}
