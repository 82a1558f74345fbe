// Test helpers for character automata: reading a whole text, and random walks that pick among the
// characters of an alphabet the automaton allows. Used by the automaton tests only.
import type { Random } from '../../engine/index.js';
import type { CharacterAutomaton } from './character-automaton.js';

/** True when the automaton reads all of `text` and accepts it. */
export function accepts<State>(automaton: CharacterAutomaton<State>, text: string): boolean {
  let state: State | undefined = automaton.initial;
  for (const character of text) {
    state = automaton.step(state, character);
    if (state === undefined) return false;
  }
  return automaton.accepting(state);
}

/** Options of a random walk. */
export interface WalkOptions {
  /** Characters to try at each step. */
  alphabet: string[];
  /** Probability of stopping at an accepting state. */
  stop: number;
  /** After this many characters, prefer `closers` when one is allowed, and stop whenever accepting. */
  patience: number;
  closers?: string[];
  /** Give up (return undefined) past this many characters. */
  limit: number;
}

/**
 * A text the automaton accepts, built by a random walk over allowed characters of the alphabet; also
 * checks that every state reached can be accepted or continued. Undefined when the walk got stuck
 * (no character of the alphabet continues) or hit the limit.
 */
export function randomWalk<State>(
  automaton: CharacterAutomaton<State>,
  random: Random,
  options: WalkOptions,
): string | undefined {
  let state = automaton.initial;
  let text = '';
  for (let length = 0; length < options.limit; length++) {
    const accepting = automaton.accepting(state);
    if (!accepting && !automaton.canContinue(state))
      throw new Error(`dead state after ${JSON.stringify(text)}`);
    if (accepting && (!automaton.canContinue(state) || random() < options.stop || length >= options.patience))
      return text;
    const allowed: [string, State][] = [];
    for (const character of options.alphabet) {
      const next = automaton.step(state, character);
      if (next !== undefined) allowed.push([character, next]);
    }
    if (allowed.length === 0) return undefined;
    let choices = allowed;
    if (length >= options.patience && options.closers && random() < 0.8) {
      const closing = allowed.filter(([character]) => options.closers!.includes(character));
      if (closing.length > 0) choices = closing;
    }
    const [character, next] = choices[Math.floor(random() * choices.length)];
    text += character;
    state = next;
  }
  return undefined;
}

/** The JSON Schema of examples/contact-extraction, which the constraint tests share. */
export const contactSchema = {
  type: 'object',
  required: ['name', 'email', 'phone'],
  properties: { name: { type: 'string' }, email: { type: 'string' }, phone: { type: ['string', 'null'] } },
  additionalProperties: false,
};
