// The contract between constrained decoding and the sampler: a constraint says, before each token,
// which tokens keep the output valid, and is told the token chosen. What the constraint means (a label
// set, a regular expression, a JSON Schema) and how its masks are compiled is the guard layer's; the
// engine only applies masks. Types only.

/** A compiled constraint over one tokenizer's vocabulary; `start()` is called once per generated row. */
export interface TokenConstraint {
  /** A fresh state for one output, at its first token. */
  start(): ConstraintState;
  /**
   * When the valid outputs are exactly these token sequences (a label set), the sampler may choose among
   * them by their whole likelihood instead of token by token (see sequence-choice.ts).
   */
  readonly sequences?: readonly (readonly number[])[];
}

/** Where one output stands in its constraint. Mutable: one per row, advanced token by token. */
export interface ConstraintState {
  /**
   * Sets to -Infinity the logits of every token that cannot continue a valid output, and of the
   * end-of-sequence tokens unless the output is complete. Leaves the others untouched. With
   * `remainingTokens` (the row's budget, this token included), also those after which the output could
   * no longer be completed within the budget, where the constraint can tell.
   */
  mask(logits: Float32Array, remainingTokens?: number): void;
  /** Advances past the token the sampler chose (always one `mask` allowed). */
  advance(token: number): void;
  /** The output so far is valid as it stands (it may end here). */
  readonly complete: boolean;
  /** The output is complete and nothing may follow: generation ends without waiting for a token. */
  readonly finished: boolean;
}
