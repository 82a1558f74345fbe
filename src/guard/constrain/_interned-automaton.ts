// An automaton's states interned by key, each remembering its transitions by code point: after the
// first walk, stepping a state is one map lookup and equal states are one object. The table is bounded
// (cleared when full; interned states already handed out keep working). No token logic here.
import type { CharacterAutomaton } from './character-automaton.js';

/** One state of the automaton, interned. Treat as immutable (`next` is a cache). */
export interface InternedState {
  readonly value: unknown;
  readonly key: string;
  readonly accepting: boolean;
  readonly canContinue: boolean;
  /** Transitions seen so far: code point to state (null: dead). */
  readonly next: Map<number, InternedState | null>;
}

const largestTable = 50_000;

/** Interns the states of an automaton and memoises their transitions. */
export class InternedAutomaton {
  readonly initial: InternedState;
  private readonly table = new Map<string, InternedState>();

  constructor(private readonly automaton: CharacterAutomaton) {
    this.initial = this.intern(automaton.initial);
  }

  /** The state after one character (a code point), or undefined when dead. */
  step(state: InternedState, code: number): InternedState | undefined {
    let next = state.next.get(code);
    if (next === undefined) {
      const value = this.automaton.step(state.value, String.fromCodePoint(code));
      next = value === undefined ? null : this.intern(value);
      state.next.set(code, next);
    }
    return next ?? undefined;
  }

  private intern(value: unknown): InternedState {
    const key = this.automaton.key(value);
    let state = this.table.get(key);
    if (!state) {
      if (this.table.size >= largestTable) this.table.clear();
      state = {
        value,
        key,
        accepting: this.automaton.accepting(value),
        canContinue: this.automaton.canContinue(value),
        next: new Map(),
      };
      this.table.set(key, state);
    }
    return state;
  }
}
