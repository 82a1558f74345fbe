// The contract between what a constraint means (a label set, a regular expression, a JSON Schema) and
// how its token masks are computed: an automaton read one character (Unicode code point) at a time.
// States are immutable values; the automaton knows nothing of tokens or vocabularies. Types only.

/** A character-level automaton over immutable states. */
export interface CharacterAutomaton<State = unknown> {
  /** The state before any character. */
  readonly initial: State;
  /** The state after one more character (one code point, as a string), or undefined when no valid text continues so. */
  step(state: State, character: string): State | undefined;
  /** True when the text read so far is valid as it stands. */
  accepting(state: State): boolean;
  /** True when some character may follow. */
  canContinue(state: State): boolean;
  /** Identifies the state for memoised masks: states with the same key accept exactly the same continuations. */
  key(state: State): string;
  /**
   * True exactly when some code point from `low` to `high` (inclusive; at least U+0080, no surrogates)
   * steps from `state`: how a character the vocabulary spells only in bytes (a CJK character as three
   * byte tokens) is known to be writable before its first byte is, without stepping every code point
   * it could become. Without it, a range is tried a code point at a time, up to a bound.
   */
  stepsWithin?(state: State, low: number, high: number): boolean;
}
