// A label set as a character automaton: exactly one of a list of strings, read through a trie of
// their code points. Case and surrounding whitespace are matched exactly; normalising labels is the
// caller's business.
import { ValidationError } from '../../errors/index.js';
import type { CharacterAutomaton } from './character-automaton.js';

/** A node of a choice trie: a prefix of at least one choice. Treat as immutable. */
export interface ChoiceNode {
  readonly id: number;
  /** True when the prefix is itself a choice. */
  readonly terminal: boolean;
  readonly children: ReadonlyMap<number, ChoiceNode>;
}

/** Builds the trie of a list of strings (code point by code point); shared by the JSON Schema automaton's literals. */
export function choiceTrie(choices: readonly string[]): ChoiceNode {
  let count = 0;
  const newNode = () => ({ id: count++, terminal: false, children: new Map<number, ChoiceNode>() });
  const root = newNode();
  for (const choice of choices) {
    let node = root;
    for (const character of choice) {
      const codePoint = character.codePointAt(0)!;
      let child = node.children.get(codePoint) as ReturnType<typeof newNode> | undefined;
      if (!child) {
        child = newNode();
        node.children.set(codePoint, child);
      }
      node = child;
    }
    node.terminal = true;
  }
  return root;
}

/** Compiles a label set to a character automaton accepting exactly one of `choices`. */
export function choiceAutomaton(choices: readonly string[]): CharacterAutomaton<ChoiceNode> {
  if (choices.length === 0) {
    throw new ValidationError('A choice constraint needs at least one choice, found none', {
      code: 'CONSTRAINT_INVALID',
      hint: 'List the labels the output may be, e.g. { kind: "choice", choices: ["yes", "no"] }.',
    });
  }
  return {
    initial: choiceTrie(choices),
    step: (state, character) => state.children.get(character.codePointAt(0)!),
    stepsWithin: (state, low, high) => childWithin(state, low, high),
    accepting: (state) => state.terminal,
    canContinue: (state) => state.children.size > 0,
    key: (state) => String(state.id),
  };
}

/** True when some child of `node` is reached by a code point from `low` to `high`. */
export function childWithin(node: ChoiceNode, low: number, high: number): boolean {
  for (const code of node.children.keys()) if (code >= low && code <= high) return true;
  return false;
}
