// The interned automaton's table bound: the states its memoised transitions keep reachable stay within
// it however many states are visited (an automaton with unboundedly many states: one per length read),
// and states handed out before the table was cleared still step correctly.
import { describe, expect, it } from 'vitest';
import type { CharacterAutomaton } from './character-automaton.js';
import { InternedAutomaton, type InternedState } from './_interned-automaton.js';

/** Accepts any text; its state is the number of characters read, so it has no end of states. */
const counting: CharacterAutomaton<number> = {
  initial: 0,
  step: (state) => state + 1,
  accepting: () => true,
  canContinue: () => true,
  key: (state) => String(state),
};

/** Every state reachable from `start` through memoised transitions. */
function reachable(start: InternedState): Set<InternedState> {
  const seen = new Set<InternedState>([start]);
  const pending = [start];
  for (let state = pending.pop(); state; state = pending.pop())
    for (const next of state.next.values())
      if (next && !seen.has(next)) {
        seen.add(next);
        pending.push(next);
      }
  return seen;
}

describe('InternedAutomaton', () => {
  it('keeps no more states reachable than its table holds, however many it visits', () => {
    const largestTable = 100;
    const states = new InternedAutomaton(counting, { largestTable });
    const a = 'a'.codePointAt(0)!;
    let held: InternedState | undefined;
    // rows that each start at the initial state and read further than the one before
    for (let row = 1; row <= 40; row++) {
      let state: InternedState | undefined = states.initial;
      for (let read = 0; read < row * 25 && state; read++) state = states.step(state, a);
      expect(state?.key).toBe(String(row * 25));
      held ??= state;
    }
    expect(reachable(states.initial).size).toBeLessThanOrEqual(largestTable);
    // a state handed out long before (a row still decoding) steps on as before
    expect(states.step(held!, a)?.key).toBe('26');
  });
});
