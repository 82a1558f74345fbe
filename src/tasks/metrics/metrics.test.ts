// Each metric on hand-checked cases, the weighted combination, and metric option errors.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PromptuneError } from '../../errors/index.js';
import type { Example } from '../dataset.js';
import { taskSpec } from '../spec.js';
import { aggregateLabels, createMetrics, extractJson, readLabel, scoreOutput } from './index.js';

const example = (target: unknown, fields: Record<string, unknown> = { input: 'x' }): Example => ({
  index: 0,
  line: 1,
  fields,
  target,
  id: 'test',
});
const spec = taskSpec.parse({
  name: 't',
  prompt: { template: '{{input}}' },
  output: { kind: 'label', labels: ['cat', 'dog', 'bird'] },
});
const context = { task: spec, baseDirectory: tmpdir() };

async function score(
  name: string,
  target: unknown,
  output: string,
  options: Record<string, unknown> = {},
  extra = {},
) {
  const [{ metric }] = await createMetrics([{ name: name as never, weight: 1, options }], {
    ...context,
    ...extra,
  });
  return metric.score(example(target), output);
}

describe('metrics', () => {
  it('exact match with normalization and prefix mode', async () => {
    expect((await score('exact-match', 'Paris', '  Paris \n')).score).toBe(1);
    expect((await score('exact-match', 'Paris', 'paris')).score).toBe(0);
    expect((await score('exact-match', 'Paris', 'paris', { normalize: ['trim', 'lowercase'] })).score).toBe(
      1,
    );
    expect(
      (await score('exact-match', ' Tom', ' Tommy went home', { match: 'prefix', normalize: [] })).score,
    ).toBe(1);
    expect((await score('exact-match', ' Tom', 'Tom', { match: 'prefix', normalize: [] })).score).toBe(0);
    expect((await score('exact-match', 'a', 'b')).feedback).toBe('expected "a", got "b"');
  });
  it('contains and regex', async () => {
    expect((await score('contains', 'blue', 'The sky is Blue.')).score).toBe(1);
    expect((await score('regex', 'unused', 'Order #12345 shipped', { pattern: '#\\d{5}\\b' })).score).toBe(1);
    expect((await score('regex', '^\\d+$', '12a')).score).toBe(0);
  });
  it('token F1 as SQuAD computes it', async () => {
    expect((await score('token-f1', 'the big red dog', 'a red dog barked')).score).toBeCloseTo(
      (2 * (2 / 3) * (2 / 3)) / (4 / 3),
      10,
    );
    expect((await score('token-f1', 'yes', 'no')).score).toBe(0);
  });
  it('strips articles only as words of their own, in any script', async () => {
    const articles = { normalize: ['strip-articles', 'collapse-whitespace', 'trim'] };
    // "aún", "ação" and "anéis" begin with an ASCII "a"/"an" followed by a letter \b does not know
    expect((await score('exact-match', 'aún', 'ún', articles)).score).toBe(0);
    expect((await score('exact-match', 'ação', 'ção', articles)).score).toBe(0);
    expect((await score('exact-match', 'anéis', 'éis', articles)).score).toBe(0);
    expect((await score('exact-match', 'a\u0301gua', '\u0301gua', articles)).score).toBe(0);
    expect((await score('token-f1', 'la ação rápida', 'la ção rápida')).score).toBeLessThan(1);
    expect((await score('exact-match', 'The cat', 'cat', articles)).score).toBe(1);
    expect((await score('exact-match', 'él, the ñu', 'él, ñu', articles)).score).toBe(1);
  });
  it('reads labels alike in composed and decomposed forms, a combining mark part of its word', async () => {
    // a decomposed answer (e + U+0301) names the composed label, not the one it starts with
    expect(readLabel(['Zoe', 'Zoé'], 'Zoe\u0301 went home')).toBe('Zoé');
    expect(readLabel(['Zoé', 'Ann'], 'Zoe\u0301')).toBe('Zoé');
    expect(readLabel(['Zoe\u0301', 'Ann'], 'Zoé!')).toBe('Zoe\u0301');
    // "कि" (ki: क and a vowel sign) is not the word "क"; "ख" stands on its own
    expect(readLabel(['क', 'ख'], 'कि ख')).toBe('ख');
    const [{ metric }] = await createMetrics(
      [{ name: 'label', weight: 1, options: { labels: ['Zoé', 'Ann'] } }],
      context,
    );
    expect((await metric.score(example('Zoe\u0301'), ' Zoé')).score).toBe(1);
    // the report counts what the score counts: the target as the labels spell it
    const scored = await Promise.all(
      [
        ['Zoe\u0301', 'Zoé'],
        ['ann', 'Ann'],
        ['Ann', 'Zoé'],
      ].map(([target, output]) => metric.score(example(target), output)),
    );
    const report = aggregateLabels(scored.map((result) => result.label!));
    expect(report.accuracy).toBeCloseTo(2 / 3);
    expect(report.labels).toEqual(['Ann', 'Zoé']);
  });
  it('strips punctuation of any script and ASCII symbols, never emoji or other symbols', async () => {
    const punctuation = { normalize: ['strip-punctuation', 'trim'] };
    expect((await score('exact-match', '👍🏽', '👎🏿', punctuation)).score).toBe(0);
    expect((await score('exact-match', '😀', '', punctuation)).score).toBe(0);
    expect((await score('exact-match', '5 €', '5 $', punctuation)).score).toBe(0);
    expect((await score('token-f1', '👍', '👎')).score).toBe(0);
    expect((await score('exact-match', '「你好」。', '你好', punctuation)).score).toBe(1);
    expect((await score('exact-match', 'a+b=c!', 'abc', punctuation)).score).toBe(1);
  });
  it('counts each Chinese character or kana as a word in token-f1, rouge-l and bleu', async () => {
    // one character of six differs: most of the answer is right, not none of it
    expect((await score('token-f1', '我今天很高兴', '我今天很开心')).score).toBeCloseTo(2 / 3);
    expect((await score('rouge-l', '我今天很高兴', '我今天很开心')).score).toBeCloseTo(2 / 3);
    expect((await score('bleu', 'きょうはいい天気', 'きょうはいい天気')).score).toBeCloseTo(1);
    // words of spaced scripts are unchanged, a decomposed accent part of its word
    expect((await score('token-f1', 'the cat sat', 'cat sat')).score).toBe(1);
    expect((await score('rouge-l', 'Zoe\u0301 went', 'Zoe\u0301 left')).score).toBeCloseTo(0.5);
  });
  it('compares Unicode forms alike with nfc and nfkc', async () => {
    expect((await score('exact-match', 'Zoé', 'Zoe\u0301')).score).toBe(0);
    expect((await score('exact-match', 'Zoé', 'Zoe\u0301', { normalize: ['trim', 'nfc'] })).score).toBe(1);
    expect((await score('exact-match', 'Ｌｉｌｙ', 'Lily', { normalize: ['nfc'] })).score).toBe(0);
    expect((await score('exact-match', 'Ｌｉｌｙ', 'Lily', { normalize: ['nfkc'] })).score).toBe(1);
  });
  it('labels: reads the output as a label, aggregates accuracy, macro-F1 and confusion', async () => {
    expect(await score('label', 'dog', ' Dog. It barked.')).toMatchObject({
      score: 1,
      label: { predicted: 'dog', expected: 'dog' },
    });
    expect(await score('label', 'dog', 'I think it is a cat')).toMatchObject({
      score: 0,
      label: { predicted: 'cat' },
    });
    expect((await score('label', 'dog', 'no idea')).label?.predicted).toBe('(none)');
    // a label standing as a word of its own wins over one inside a longer word
    expect((await score('label', 'cat', 'dogsled? no, a cat')).label?.predicted).toBe('cat');
    expect((await score('label', 'cat', 'a category? no, a cat')).label?.predicted).toBe('cat');
    expect((await score('label', 'dog', 'dog-like, surely')).label?.predicted).toBe('dog');
    expect((await score('label', 'bird', 'Bird!')).label?.predicted).toBe('bird');
    // and where none does, one inside a word is still named: languages attach endings to their words,
    // and scripts written without spaces have no word boundary at all
    const korean = { labels: ['긍정', '부정'] };
    expect((await score('label', '긍정', '긍정입니다.', korean)).label?.predicted).toBe('긍정');
    const chinese = { labels: ['正面', '负面'] };
    expect((await score('label', '正面', '这是正面的评价', chinese)).label?.predicted).toBe('正面');
    expect((await score('label', 'dog', 'Dogs, mostly')).label?.predicted).toBe('dog');
    const aggregate = aggregateLabels([
      { predicted: 'cat', expected: 'cat' },
      { predicted: 'cat', expected: 'dog' },
      { predicted: 'dog', expected: 'dog' },
      { predicted: 'dog', expected: 'dog' },
    ]);
    expect(aggregate.accuracy).toBe(0.75);
    expect(aggregate.labels).toEqual(['cat', 'dog']);
    expect(aggregate.confusion).toEqual([
      [1, 0],
      [1, 2],
    ]);
    // cat: P 1/2, R 1 -> 2/3; dog: P 1, R 2/3 -> 0.8
    expect(aggregate.macroF1).toBeCloseTo((2 / 3 + 0.8) / 2, 10);
  });
  it('JSON: extraction, schema validity and field match', async () => {
    expect(extractJson('Sure! ```json\n{"a": 1}\n``` done')).toEqual({ a: 1 });
    expect(extractJson('{"a": {"b": [1, 2]}} trailing')).toEqual({ a: { b: [1, 2] } });
    const schema = {
      type: 'object',
      required: ['name', 'age'],
      properties: { name: { type: 'string' }, age: { type: 'number' } },
    };
    expect(
      (await score('json', { name: 'Ann', age: 3 }, '{"name": "Ann", "age": 3}', { schema })).score,
    ).toBe(1);
    expect(
      (await score('json', { name: 'Ann', age: 3 }, '{"name": "Ann", "age": 4}', { schema })).score,
    ).toBe(0.5);
    const invalid = await score('json', { name: 'Ann', age: 3 }, '{"name": "Ann"}', { schema });
    expect(invalid.score).toBe(0);
    expect(invalid.feedback).toContain('age');
    expect((await score('json', { a: 1 }, 'not json')).score).toBe(0);
    // nested deeper than any comparison can walk: scored 0, not a stack overflow
    const deep = `{"a": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expect(await score('json', { a: 1 }, deep)).toMatchObject({ score: 0 });
  });
  it('ROUGE-L and BLEU', async () => {
    expect((await score('rouge-l', 'the cat sat on the mat', 'the cat sat on the mat')).score).toBe(1);
    // the LCS is all of "the cat on the mat": precision 5/5, recall 5/6
    const rouge = (await score('rouge-l', 'the cat sat on the mat', 'the cat on the mat')).score;
    expect(rouge).toBeCloseTo((2 * (5 / 5) * (5 / 6)) / (5 / 5 + 5 / 6), 10);
    expect((await score('bleu', 'the cat sat on the mat', 'the cat sat on the mat')).score).toBeCloseTo(
      1,
      10,
    );
    const partial = (await score('bleu', 'the cat sat on the mat', 'the cat sat')).score;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(0.5);
  });
  it('the judge asks its model and parses SCORE and FEEDBACK', async () => {
    const prompts: string[] = [];
    const judge = async (prompt: string) => {
      prompts.push(prompt);
      return 'SCORE: 7\nFEEDBACK: misses the date.';
    };
    const result = await score(
      'judge',
      'On May 3 it rained.',
      'It rained.',
      { rubric: 'Facts match.' },
      { judge },
    );
    expect(result).toEqual({ score: 0.7, feedback: 'misses the date.' });
    expect(prompts[0]).toContain('Rubric: Facts match.');
    expect(prompts[0]).toContain('Reference answer:\nOn May 3 it rained.');
    const garbled = await score('judge', 'x', 'y', {}, { judge: async () => 'I like it' });
    expect(garbled.score).toBe(0);
    expect(garbled.feedback).toContain('no SCORE line');
  });
  it('custom metrics from a module', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'promptune-metric-'));
    writeFileSync(
      join(folder, 'length.mjs'),
      'export default (example, output) => ({ score: output.length <= 5 ? 1 : 0, feedback: `length ${output.length}` });\n',
    );
    const result = await score('custom', 'x', 'abcdefg', { module: 'length.mjs' }, { baseDirectory: folder });
    expect(result).toEqual({ score: 0, feedback: 'length 7' });
  });
  it('combines metrics by weight and keeps each result', async () => {
    const metrics = await createMetrics(
      [
        { name: 'exact-match', weight: 3, options: {} },
        { name: 'contains', weight: 1, options: {} },
      ],
      context,
    );
    const result = await scoreOutput(metrics, example('blue'), 'it is blue');
    expect(result.score).toBe(0.25);
    expect(Object.keys(result.byMetric)).toEqual(['exact-match', 'contains']);
  });
  it('refuses bad options with a code', async () => {
    for (const [name, options, extra] of [
      ['exact-match', { normalize: ['shout'] }, {}],
      ['exact-match', { match: 'fuzzy' }, {}],
      ['regex', { pattern: '(' }, {}],
      ['judge', {}, {}],
      ['custom', { module: 'missing.mjs' }, {}],
    ] as const) {
      const error = await score(name, 'a', 'b', options, extra).catch((caught: unknown) => caught);
      expect(PromptuneError.isInstance(error), `${name} ${JSON.stringify(options)}`).toBe(true);
    }
  });
});
