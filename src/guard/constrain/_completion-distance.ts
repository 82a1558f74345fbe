// How many characters an output still needs at least before it may end: a breadth-first search from a
// state over the characters the vocabulary has as one-character tokens (so the distance in characters
// bounds the distance in tokens), memoised per state key. Budget-aware masks use it to close an output
// in time; the search is capped, beyond which the distance is unknown (Infinity) and nothing is filtered.
import type { InternedAutomaton, InternedState } from './_interned-automaton.js';

/** States explored at most per search. */
const largestSearch = 20_000;
/** Distances kept at most (cleared when full). */
const largestMemo = 50_000;

/** Shortest completions of an automaton's states over an alphabet of single-token characters. */
export class CompletionDistance {
  private readonly memo = new Map<string, number>();

  constructor(
    private readonly states: InternedAutomaton,
    /** Code points that are a whole token by themselves. */
    private readonly alphabet: readonly number[],
  ) {}

  /** The fewest characters after which `state` accepts (0 when it does; Infinity when unknown or never). */
  of(state: InternedState): number {
    if (state.accepting) return 0;
    const known = this.memo.get(state.key);
    if (known !== undefined) return known;
    const distance = this.search(state);
    if (this.memo.size >= largestMemo) this.memo.clear();
    this.memo.set(state.key, distance);
    return distance;
  }

  private search(start: InternedState): number {
    const seen = new Set<string>([start.key]);
    let frontier = [start];
    for (let depth = 1; frontier.length > 0 && seen.size < largestSearch; depth++) {
      const next: InternedState[] = [];
      for (const state of frontier)
        for (const code of this.alphabet) {
          const after = this.states.step(state, code);
          if (!after || seen.has(after.key)) continue;
          if (after.accepting) return depth;
          seen.add(after.key);
          next.push(after);
        }
      frontier = next;
    }
    return Infinity;
  }
}
