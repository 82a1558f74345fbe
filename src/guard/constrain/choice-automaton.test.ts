// The choice automaton accepts exactly one of its strings (code point by code point, emoji included),
// keys states by trie node, finishes where no choice continues, and refuses an empty list.
import { describe, expect, it } from 'vitest';
import { accepts } from './automaton-walks.case.js';
import { choiceAutomaton } from './choice-automaton.js';

describe('choiceAutomaton', () => {
  const choices = ['yes', 'no', 'not sure', 'n', '😀 ok', ''];
  const automaton = choiceAutomaton(choices);

  it.each([...choices, 'ye', 'yes ', 'nope', 'not', 'Yes', '😀', ' no'])(
    'reads %j as one of the choices or not',
    (text) => {
      expect(accepts(automaton, text)).toBe(choices.includes(text));
    },
  );

  it('can continue exactly where a longer choice goes on, and keys states by prefix', () => {
    const read = (text: string) =>
      [...text].reduce((state, character) => automaton.step(state, character)!, automaton.initial);
    expect([automaton.accepting(read('n')), automaton.canContinue(read('n'))]).toEqual([true, true]);
    expect([automaton.accepting(read('yes')), automaton.canContinue(read('yes'))]).toEqual([true, false]);
    expect(automaton.key(read('no'))).not.toBe(automaton.key(read('n')));
    expect(automaton.key(read('no'))).toBe(automaton.key(read('no')));
    expect(automaton.step(read('yes'), 's')).toBeUndefined();
  });

  it('refuses an empty list with CONSTRAINT_INVALID', () => {
    expect(() => choiceAutomaton([])).toThrow(expect.objectContaining({ code: 'CONSTRAINT_INVALID' }));
  });
});
