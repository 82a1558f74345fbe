// Characters a vocabulary spells only in bytes (byte-fallback tokens): UTF-8 read a byte at a time, each
// automaton's stepsWithin agreeing with a code point by code point check, and token masks that write
// such a character byte by byte, allow no byte that begins a character the constraint refuses, and
// never end an output half a character.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import {
  argmax,
  loadModel,
  loadTokenizerJson,
  partialTokenBytes,
  seededRandom,
  tokenTexts,
  type Tokenizer,
} from '../../engine/index.js';
import { sharedModels, stories } from '../../../test/models.js';
import { constraintAutomaton } from './compile-constraint.js';
import type { CharacterAutomaton } from './character-automaton.js';
import { choiceAutomaton } from './choice-automaton.js';
import { jsonSchemaAutomaton } from './json-schema-automaton.js';
import { regexAutomaton } from './regex-automaton.js';
import { compileTokenConstraint } from './token-masks.js';
import { prefixRange, readUtf8 } from './_utf8-prefix.js';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('UTF-8 a byte at a time', () => {
  it('completes characters across reads and keeps the one begun', () => {
    // 李 is E6 9D 8E
    expect(readUtf8([], bytes(0x61, 0xe6))).toEqual({ codes: [0x61], rest: [0xe6] });
    expect(readUtf8([0xe6], bytes(0x9d))).toEqual({ codes: [], rest: [0xe6, 0x9d] });
    expect(readUtf8([0xe6, 0x9d], bytes(0x8e, 0x62))).toEqual({ codes: [0x674e, 0x62], rest: [] });
    expect(prefixRange([0xe6])).toEqual([0x6000, 0x6fff]);
    expect(prefixRange([0xf0, 0x9f])).toEqual([0x1f000, 0x1ffff]);
  });

  it('refuses what is not UTF-8', () => {
    for (const [pending, read] of [
      [[], bytes(0x80)], // a continuation with no start
      [[], bytes(0xc0)], // only overlong forms start so
      [[], bytes(0xf5)], // past U+10FFFF
      [[0xe6], bytes(0x41)], // a start where a continuation must come
      [[], bytes(0xed, 0xa0)], // a surrogate's first two bytes
      [[], bytes(0xe0, 0x80)], // overlong
      [[], bytes(0xf4, 0x90)], // past U+10FFFF
    ] as const)
      expect(readUtf8(pending, read)).toBeUndefined();
  });
});

/** Every state a few random walks over `alphabet` reach from the automaton's start. */
function statesOf(automaton: CharacterAutomaton, alphabet: string[], seed: number): unknown[] {
  const random = seededRandom(seed);
  const states: unknown[] = [automaton.initial];
  for (let walk = 0; walk < 30; walk++) {
    let state: unknown = automaton.initial;
    for (let step = 0; step < 12; step++) {
      const next = alphabet
        .map((character) => automaton.step(state, character))
        .filter((value) => value !== undefined);
      if (next.length === 0) break;
      state = next[Math.floor(random() * next.length)];
      states.push(state);
    }
  }
  return states;
}

describe('stepsWithin', () => {
  const alphabet = [...'李华Иван😀"{}:, []0a\\u'];
  it.each([
    ['regex', regexAutomaton('[李华]+(И|в)?[а-я]{0,3}')],
    ['choice', choiceAutomaton(['李华', 'Иван', 'ab'])],
    [
      'JSON Schema',
      jsonSchemaAutomaton({
        type: 'object',
        properties: {
          name: { enum: ['李华', 'Иван'] },
          note: { type: 'string', pattern: '^[а-я]{1,4}$' },
          free: { type: 'string', maxLength: 3 },
          short: { type: 'string', pattern: '^[😀李]+$', maxLength: 3 },
          李: { type: 'integer' },
        },
      }),
    ],
  ] as [string, CharacterAutomaton][])(
    '%s: agrees with stepping each code point of a range',
    (_name, automaton) => {
      // two- and three-byte leads whole; a four-byte lead's first 4,096 code points (😀's among them)
      const ranges = [[0xe4], [0xe5], [0xe6], [0xd0], [0xd1], [0xc3], [0xf0, 0x9f, 0x98]].map((prefix) =>
        prefixRange(prefix)!,
      );
      for (const state of statesOf(automaton, alphabet, 7))
        for (const [low, high] of ranges) {
          let some = false;
          for (let code = low; code <= high && !some; code++)
            some = automaton.step(state, String.fromCodePoint(code)) !== undefined;
          expect(automaton.stepsWithin!(state, low, high)).toBe(some);
        }
    },
  );
});

describe('stepsWithin over a four-byte lead', () => {
  it('finds 😀 far into the range of F0, in a pattern string under a maxLength', () => {
    const automaton: CharacterAutomaton = jsonSchemaAutomaton({
      type: 'object',
      properties: { short: { type: 'string', pattern: '^[😀李]+$', maxLength: 3 } },
    }) as CharacterAutomaton;
    let state: unknown = automaton.initial;
    for (const character of '{"short":"') state = automaton.step(state, character);
    const [low, high] = prefixRange([0xf0])!; // U+10000 to U+3FFFF; 😀 is U+1F600
    expect(automaton.stepsWithin!(state, low, high)).toBe(true);
    expect(automaton.stepsWithin!(state, 0x20000, high)).toBe(false);
    // with the string full, nothing more
    for (const character of '😀😀😀') state = automaton.step(state, character);
    expect(automaton.stepsWithin!(state, low, high)).toBe(false);
  });
});

describe('token masks over byte tokens', () => {
  // a vocabulary of "a", EOS and the 128 bytes from 0x80, which have no text of their own
  const texts: (string | undefined)[] = ['a', undefined, ...Array.from({ length: 128 }, () => undefined)];
  const partialBytes = texts.map((_, id) => (id >= 2 ? bytes(0x80 + id - 2) : undefined));
  const byte = (value: number) => value - 0x80 + 2;
  const eos = 1;
  const allowedAfter = (pattern: string, tokens: number[], remaining?: number) => {
    const state = compileTokenConstraint(regexAutomaton(pattern), texts, [eos], { partialBytes }).start();
    for (const token of tokens) state.advance(token);
    const logits = new Float32Array(texts.length);
    state.mask(logits, remaining);
    return { allowed: [...logits.keys()].filter((id) => logits[id] !== -Infinity), state };
  };

  it('writes a character byte by byte, allowing only the bytes that lead to one the pattern takes', () => {
    expect(allowedAfter('李a', []).allowed).toEqual([byte(0xe6)]);
    expect(allowedAfter('李a', [byte(0xe6)]).allowed).toEqual([byte(0x9d)]);
    expect(allowedAfter('李a', [byte(0xe6), byte(0x9d)]).allowed).toEqual([byte(0x8e)]);
    const done = allowedAfter('李a', [byte(0xe6), byte(0x9d), byte(0x8e)]);
    expect(done.allowed).toEqual([0]);
    done.state.advance(0);
    expect(done.state.complete).toBe(true);
    // half a character is never complete, and EOS waits for its end
    const half = allowedAfter('李?', [byte(0xe6)]);
    expect(half.state.complete).toBe(false);
    expect(half.allowed).toEqual([byte(0x9d)]);
    expect(() => half.state.advance(byte(0x80))).toThrow(/not allowed/);
  });

  it('ends an output past saving rather than leave half a character', () => {
    // four 李 then b need 13 tokens of the 10 left: after three 李, one token is left, no 李 is begun,
    // and the end comes (invalid, but no half character)
    const { state } = allowedAfter('a|李李李李b', []);
    const logits = new Float32Array(texts.length);
    let remaining = 10;
    for (const value of [0xe6, 0x9d, 0x8e, 0xe6, 0x9d, 0x8e, 0xe6, 0x9d, 0x8e]) {
      state.mask(logits.fill(0), remaining--);
      state.advance(byte(value));
    }
    state.mask(logits.fill(0), remaining);
    expect([...logits.keys()].filter((id) => logits[id] !== -Infinity)).toEqual([eos]);
    state.advance(eos);
    expect([state.complete, state.finished]).toEqual([false, true]);
  });

  it('begins no character in a vocabulary that cannot spell each continuation byte alone', () => {
    const gapped = partialBytes.map((bytes) => (bytes?.[0] === 0x8e ? undefined : bytes));
    const state = compileTokenConstraint(regexAutomaton('李|a'), texts, [eos], {
      partialBytes: gapped,
    }).start();
    const logits = new Float32Array(texts.length);
    state.mask(logits);
    expect([...logits.keys()].filter((id) => logits[id] !== -Infinity)).toEqual([0]);
  });

  it('begins no character the budget cannot finish', () => {
    // 李 takes three tokens: where the output must still write one, none is begun with two left
    expect(allowedAfter('(a|李)*李', [], 2).allowed).toEqual([0]);
    expect(allowedAfter('(a|李)*李', [], 3).allowed).toEqual([0, byte(0xe6)]);
    // once complete, the budget's last tokens (its margin) end the output rather than begin a character
    expect(allowedAfter('a李?', [0], 2).allowed).toEqual([eos]);
    expect(allowedAfter('a李?', [0], 20).allowed).toEqual([eos, byte(0xe6)]);
  });
});

describe('walks over real vocabularies with characters spelt in bytes', () => {
  const specs = [
    { kind: 'regex', pattern: '[李华你好Иван👍]{2,6}' },
    {
      kind: 'json-schema',
      schema: { type: 'object', properties: { name: { enum: ['李华', 'Иван'] } }, required: ['name'] },
    },
  ] as const;
  const valid = [
    (text: string) => /^(?:[李华你好Иван]|\u{1F44D}){2,6}$/u.test(text),
    (text: string) => ['李华', 'Иван'].includes((JSON.parse(text) as { name: string }).name),
  ];
  const tokenizers: [string, () => Promise<Tokenizer>][] = [
    ['stories260K (SentencePiece byte fallback)', async () => (await loadModel(stories.gguf)).tokenizer],
    ['GPT-2 (byte-level BPE)', async () => loadTokenizerJson(join(sharedModels, 'gpt2-tokenizer'))],
  ];
  it.each(tokenizers)('%s: 40 random walks each end whole and valid', async (_name, load) => {
    const tokenizer = await load();
    const texts = tokenTexts(tokenizer);
    const partialBytes = partialTokenBytes(tokenizer);
    expect(partialBytes.filter(Boolean).length).toBeGreaterThan(0);
    const eos = tokenizer.eosTokenIds;
    const encoder = new TextEncoder();
    for (const [index, spec] of specs.entries()) {
      const constraint = compileTokenConstraint(constraintAutomaton(spec), texts, eos, { partialBytes });
      const random = seededRandom(index + 3);
      for (let walk = 0; walk < 40; walk++) {
        const state = constraint.start();
        const logits = new Float32Array(texts.length);
        const written: number[] = [];
        for (let step = 0; step < 200 && !state.finished; step++) {
          for (let id = 0; id < logits.length; id++) logits[id] = random();
          state.mask(logits, 200 - step);
          const token = argmax(logits);
          expect(logits[token]).toBeGreaterThan(-Infinity);
          if (eos.includes(token)) break;
          state.advance(token);
          written.push(...(texts[token] !== undefined ? encoder.encode(texts[token]) : partialBytes[token]!));
        }
        expect(state.complete).toBe(true);
        const text = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(written));
        expect([text, valid[index](text)]).toEqual([text, true]);
      }
    }
  });
});
