// Token-level constraints over real vocabularies (stories260K's 512-token SentencePiece, GPT-2's
// 50,257-token byte-level BPE): masks equal a brute-force check of every token, and random walks that
// take the best of random logits after masking always end in a valid output (one label, a full regex
// match, an Ajv-valid JSON text). Also: EOS only where complete, dead ends, padded logits, the spec cache.
import { join } from 'node:path';
import Ajv from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  argmax,
  loadModel,
  loadTokenizerJson,
  seededRandom,
  tokenTexts,
  type Random,
  type Tokenizer,
} from '../../engine/index.js';
import { ValidationError } from '../../errors/index.js';
import { sharedModels, stories } from '../../../test/models.js';
import type { CharacterAutomaton } from './character-automaton.js';
import { compileConstraint, constraintAutomaton } from './compile-constraint.js';
import type { ConstraintSpec } from './index.js';
import { choiceAutomaton } from './choice-automaton.js';
import { compileTokenConstraint } from './token-masks.js';
import { contactSchema } from './automaton-walks.case.js';

const contact = contactSchema;

// each: a name, the spec, a check of the output, and what a token favoured late in a walk contains
const specs: [string, ConstraintSpec, (text: string) => boolean, RegExp][] = [
  ['labels', { kind: 'choice', choices: ['positive', 'negative', 'neutral', 'mixed feelings'] }, (text) =>
    ['positive', 'negative', 'neutral', 'mixed feelings'].includes(text), /$^/],
  ['regex', { kind: 'regex', pattern: '[A-Z][a-z]+ (is|was) \\d{1,3}(\\.\\d)?!?' }, (text) =>
    /^(?:[A-Z][a-z]+ (is|was) \d{1,3}(\.\d)?!?)$/u.test(text), /[ \d]/],
  ['contact JSON', { kind: 'json-schema', schema: contact }, jsonValidator(contact), /["\]}]/],
  ['nested JSON', {
    kind: 'json-schema',
    schema: {
      type: 'object',
      required: ['items'],
      properties: {
        items: { type: 'array', maxItems: 3, items: { type: 'object', required: ['n'], properties: { n: { type: 'integer' }, ok: { type: 'boolean' } } } },
        note: { type: 'string', maxLength: 8 },
      },
    },
  }, jsonValidator({ type: 'object', required: ['items'], properties: { items: { type: 'array', maxItems: 3, items: { type: 'object', required: ['n'], properties: { n: { type: 'integer' }, ok: { type: 'boolean' } } } }, note: { type: 'string', maxLength: 8 } } }), /["\]}]/],
]; // prettier-ignore

function jsonValidator(schema: object): (text: string) => boolean {
  const validate = new Ajv.default({ strict: false }).compile(schema);
  return (text) => {
    try {
      return validate(JSON.parse(text)) === true;
    } catch {
      return false;
    }
  };
}

/** Tokens favoured as a walk grows long so that it ends (EOS, and those that close a string or a bracket). */
function closingTokens(texts: (string | undefined)[], eos: number[], closer: RegExp): Uint8Array {
  const closing = new Uint8Array(texts.length);
  texts.forEach((text, id) => {
    if (text && closer.test(text)) closing[id] = 1;
  });
  for (const id of eos) closing[id] = 1;
  return closing;
}

interface Walk {
  text: string;
  complete: boolean;
  end: 'eos' | 'finished' | 'length';
}

/** Samples the best of random logits after masking until EOS, finished or `maxTokens`. */
function walk(
  state: ReturnType<ReturnType<typeof compileTokenConstraint>['start']>,
  texts: (string | undefined)[],
  eos: number[],
  random: Random,
  closing: Uint8Array,
  check?: (logits: Float32Array, text: string, complete: boolean) => void,
): Walk {
  const logits = new Float32Array(texts.length);
  let text = '';
  for (let step = 0; step < 300; step++) {
    if (state.finished) return { text, complete: state.complete, end: 'finished' };
    const bonus = Math.max(0, step - 20) * 0.1;
    for (let id = 0; id < logits.length; id++) logits[id] = random() + (closing[id] ? bonus : 0);
    state.mask(logits);
    check?.(logits, text, state.complete);
    for (const id of eos) expect(logits[id] > -Infinity).toBe(state.complete);
    const token = argmax(logits);
    expect(logits[token]).toBeGreaterThan(-Infinity);
    if (eos.includes(token)) return { text, complete: state.complete, end: 'eos' };
    state.advance(token);
    text += texts[token];
  }
  return { text, complete: state.complete, end: 'length' };
}

/** Which tokens the automaton allows after `text`, token by token (the slow, obvious way). */
function bruteForceAllowed(
  automaton: CharacterAutomaton,
  texts: (string | undefined)[],
  prefix: string,
): Set<number> {
  let state: unknown = automaton.initial;
  for (const character of prefix) state = automaton.step(state, character);
  const allowed = new Set<number>();
  texts.forEach((text, id) => {
    if (!text) return;
    let current: unknown = state;
    for (const character of text) {
      current = automaton.step(current, character);
      if (current === undefined) return;
    }
    allowed.add(id);
  });
  return allowed;
}

function allowedIn(logits: Float32Array, eos: number[]): Set<number> {
  const allowed = new Set<number>();
  logits.forEach((value, id) => {
    if (value > -Infinity && !eos.includes(id)) allowed.add(id);
  });
  return allowed;
}

describe('token constraints over real vocabularies', () => {
  let storiesTokenizer: Tokenizer;
  let gpt2: Tokenizer;

  beforeAll(async () => {
    storiesTokenizer = (await loadModel(stories.gguf)).tokenizer;
    gpt2 = await loadTokenizerJson(join(sharedModels, 'gpt2-tokenizer'));
  });

  it.each(specs)(
    'stories260K: %s masks equal a brute-force check, and 60 walks all end valid',
    (_name, spec, valid, closer) => {
      const texts = tokenTexts(storiesTokenizer);
      const eos = storiesTokenizer.eosTokenIds;
      // the character-level compilation (compileConstraint spells label sets as the model would: below)
      const automaton = constraintAutomaton(spec);
      const constraint = compileTokenConstraint(automaton, texts, eos);
      const random = seededRandom(1);
      const closing = closingTokens(texts, eos, closer);
      for (let n = 0; n < 60; n++) {
        const check = (logits: Float32Array, text: string) =>
          expect(allowedIn(logits, eos)).toEqual(bruteForceAllowed(automaton, texts, text));
        const result = walk(constraint.start(), texts, eos, random, closing, n < 10 ? check : undefined);
        expect(result.end).not.toBe('length');
        expect([result.text, result.complete, valid(result.text)]).toEqual([result.text, true, true]);
      }
    },
  );

  it.each(specs)(
    'GPT-2: %s masks equal a brute-force check, and 25 walks all end valid',
    (_name, spec, valid, closer) => {
      const texts = tokenTexts(gpt2);
      const eos = [50256];
      expect(texts[50256]).toBeUndefined();
      const constraint = compileTokenConstraint(constraintAutomaton(spec), texts, eos);
      const automaton = constraintAutomaton(spec);
      const random = seededRandom(2);
      const closing = closingTokens(texts, eos, closer);
      let checked = 0;
      for (let n = 0; n < 25; n++) {
        const check = (logits: Float32Array, text: string) => {
          if (checked++ % 7 === 0)
            expect(allowedIn(logits, eos)).toEqual(bruteForceAllowed(automaton, texts, text));
        };
        const result = walk(constraint.start(), texts, eos, random, closing, n < 3 ? check : undefined);
        expect(result.end).not.toBe('length');
        expect([result.text, result.complete, valid(result.text)]).toEqual([result.text, true, true]);
      }
    },
  );

  it('caches compiled constraints per tokenizer and spec, and refuses invalid specs', () => {
    const spec: ConstraintSpec = { kind: 'choice', choices: ['yes', 'no'] };
    expect(compileConstraint({ ...spec }, storiesTokenizer)).toBe(compileConstraint(spec, storiesTokenizer));
    expect(compileConstraint(spec, storiesTokenizer)).not.toBe(compileConstraint(spec, gpt2));
    expect(() => compileConstraint({ kind: 'choice', choices: [] }, storiesTokenizer)).toThrow(
      expect.objectContaining({ code: 'CONSTRAINT_INVALID' }),
    );
    expect(() => compileConstraint({ kind: 'regex', pattern: '(a)\\1' }, storiesTokenizer)).toThrow(
      expect.objectContaining({ code: 'CONSTRAINT_UNSUPPORTED' }),
    );
  });
});

describe('compileTokenConstraint', () => {
  // a toy vocabulary: ids 0..3 have text, 4 is EOS, 5 is another special token
  const texts = ['a', 'b', 'ab', 'c', undefined, undefined];
  const eos = [4];

  it('allows EOS exactly where the output is complete, and ends at once when nothing may follow', () => {
    const state = compileTokenConstraint(choiceAutomaton(['a', 'abc']), texts, eos).start();
    const logits = new Float32Array(6).fill(1);
    state.mask(logits);
    expect([...logits]).toEqual([1, -Infinity, 1, -Infinity, -Infinity, -Infinity]);
    state.advance(0);
    expect([state.complete, state.finished]).toEqual([true, false]);
    logits.fill(1);
    state.mask(logits);
    expect([...logits]).toEqual([-Infinity, 1, -Infinity, -Infinity, 1, -Infinity]);
    state.advance(1);
    state.advance(3);
    expect([state.complete, state.finished]).toEqual([true, true]);
  });

  it('at a dead end leaves only EOS allowed, stays incomplete and reports finished', () => {
    const state = compileTokenConstraint(choiceAutomaton(['ad']), texts, eos).start();
    state.advance(0);
    const logits = new Float32Array(6).fill(1);
    state.mask(logits);
    expect([...logits]).toEqual([-Infinity, -Infinity, -Infinity, -Infinity, 1, -Infinity]);
    expect([state.complete, state.finished]).toEqual([false, true]);
    state.advance(4);
    expect(state.finished).toBe(true);
  });

  it('masks logits past the vocabulary (padded embeddings), whichever way a mask is stored', () => {
    const wide = compileTokenConstraint(choiceAutomaton(['a', 'b', 'ab', 'c']), texts, eos).start();
    const logits = new Float32Array(8).fill(1);
    wide.mask(logits);
    expect([...logits]).toEqual([1, 1, 1, 1, -Infinity, -Infinity, -Infinity, -Infinity]);
    const narrow = compileTokenConstraint(choiceAutomaton(['c']), texts, eos).start();
    logits.fill(1);
    narrow.mask(logits);
    expect([...logits]).toEqual([
      -Infinity,
      -Infinity,
      -Infinity,
      1,
      -Infinity,
      -Infinity,
      -Infinity,
      -Infinity,
    ]);
  });

  it('refuses to advance past a token the mask did not allow', () => {
    const state = compileTokenConstraint(choiceAutomaton(['ab']), texts, eos).start();
    for (const token of [1, 3, 4, 5]) {
      expect(() => state.advance(token)).toThrow(expect.objectContaining({ code: 'CONSTRAINT_VIOLATED' }));
    }
    let caught: unknown;
    try {
      state.advance(5);
    } catch (error) {
      caught = error;
    }
    expect(ValidationError.isInstance(caught)).toBe(true);
    state.advance(2);
    expect(state.finished).toBe(true);
  });
});
