// An automaton's states interned by key, each remembering its transitions by code point: after the
// first walk, stepping a state is one map lookup and equal states are one object. The table is bounded:
// when full it starts over, and transitions are remembered only between states of the current table, so
// the states of earlier ones (still held by rows decoding, and working on) are not kept reachable from
// the current initial state. No token logic here.
import type { CharacterAutomaton } from './character-automaton.js';

/** One state of the automaton, interned. Treat as immutable (`next` is a cache). */
export interface InternedState {
  readonly value: unknown;
  readonly key: string;
  readonly accepting: boolean;
  readonly canContinue: boolean;
  /** Transitions seen so far: code point to state (null: dead). */
  readonly next: Map<number, InternedState | null>;
  /** The table it was interned in (the count of restarts before it). */
  readonly table: number;
}

/** How many states an InternedAutomaton keeps at most. */
export interface InternedAutomatonOptions {
  /** States in the table at most (default 50,000); when full it starts over. */
  largestTable?: number;
}

/** Interns the states of an automaton and memoises their transitions. */
export class InternedAutomaton {
  private readonly table = new Map<string, InternedState>();
  private readonly largestTable: number;
  /** How many times the table started over. */
  private restarts = 0;
  private start: InternedState;

  constructor(
    private readonly automaton: CharacterAutomaton,
    options: InternedAutomatonOptions = {},
  ) {
    this.largestTable = options.largestTable ?? 50_000;
    this.start = this.add(automaton.initial, automaton.key(automaton.initial));
  }

  /** The state before any character (the current table's). */
  get initial(): InternedState {
    return this.start;
  }

  /** The state after one character (a code point), or undefined when dead. */
  step(state: InternedState, code: number): InternedState | undefined {
    // a state of an earlier table remembers nothing more: its transitions would keep that table alive
    if (state.table !== this.restarts) return this.stepValue(state, code) ?? undefined;
    let next = state.next.get(code);
    if (next === undefined) {
      next = this.stepValue(state, code);
      // interning it may have started the table over, leaving `state` in the earlier one
      if (state.table === this.restarts) state.next.set(code, next);
    }
    return next ?? undefined;
  }

  private stepValue(state: InternedState, code: number): InternedState | null {
    const value = this.automaton.step(state.value, String.fromCodePoint(code));
    return value === undefined ? null : this.intern(value);
  }

  private intern(value: unknown): InternedState {
    const key = this.automaton.key(value);
    const known = this.table.get(key);
    if (known) return known;
    if (this.table.size >= this.largestTable) {
      this.table.clear();
      this.restarts++;
      const initial = this.automaton.initial;
      this.start = this.add(initial, this.automaton.key(initial));
    }
    return this.table.get(key) ?? this.add(value, key);
  }

  private add(value: unknown, key: string): InternedState {
    const state: InternedState = {
      value,
      key,
      accepting: this.automaton.accepting(value),
      canContinue: this.automaton.canContinue(value),
      next: new Map(),
      table: this.restarts,
    };
    this.table.set(state.key, state);
    return state;
  }
}
