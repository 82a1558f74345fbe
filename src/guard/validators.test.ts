// Each validator family on real text: pass/fail, the reason, where in the text, and its repairs.
// The detectors' own tables are in detectors/; the judge is asked through a scripted model (its
// verdict is the controlled behaviour under test), and length by tokens uses stories260K's tokenizer.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScriptedModel } from '../../test/scripted-model.js';
import { stories } from '../../test/models.js';
import { loadModel } from '../engine/index.js';
import { guardsSpec, taskSpec } from '../tasks/index.js';
import {
  createGuardSet,
  createValidator,
  customValidator,
  editDistance,
  jsonSchemaValidator,
  judgeValidator,
  labelsValidator,
  lengthValidator,
  regexValidator,
} from './index.js';

const context = {};

describe('validators', () => {
  it('json-schema: passes valid JSON (fenced or after prose), names what fails, repairs and filters', async () => {
    const validator = jsonSchemaValidator('contact', {
      type: 'object',
      required: ['name'],
      properties: { name: { type: 'string' }, age: { type: 'integer' } },
      additionalProperties: false,
    });
    expect(await validator.check('Here: ```json\n{"name": "Ada"}\n```', context)).toEqual({
      passed: true,
      issues: [],
    });
    expect((await validator.check('{"age": 3}', context)).issues[0].reason).toContain(
      "must have required property 'name'",
    );
    expect((await validator.check('no json here', context)).issues[0].reason).toMatch(/is not JSON/);
    expect(validator.fix!('{"name": "Ada", "age": 3,', { passed: false, issues: [] })).toBe(
      '{"name":"Ada","age":3}',
    );
    expect(validator.fix!('nothing', { passed: false, issues: [] })).toBeUndefined();
    expect(validator.filter!('{"name": "Ada", "age": "old", "x": 1}', { passed: false, issues: [] })).toBe(
      '{"name":"Ada"}',
    );
    const tags = jsonSchemaValidator('tags', {
      type: 'object',
      properties: { tags: { type: 'array', items: { type: 'string' } } },
    });
    expect(tags.filter!('{"tags": ["a", 1, "b", 2, "c"]}', { passed: false, issues: [] })).toBe(
      '{"tags":["a","b","c"]}',
    );
  });

  it('labels: exactly one label after trimming; fix reads or finds the nearest label', async () => {
    const validator = labelsValidator('animal', [' dog', ' cat', ' bird'], false);
    expect((await validator.check(' Dog ', context)).passed).toBe(true);
    const failed = await validator.check(' dog. The dog ran.', context);
    expect(failed.issues[0].reason).toContain('is not one of "dog", "cat", "bird"');
    expect(validator.fix!(' dog. The dog ran.', failed)).toBe(' dog');
    expect(validator.fix!('kat', failed)).toBe(' cat');
    expect(validator.fix!('hippopotamus', failed)).toBeUndefined();
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('regex: match the whole output, or forbid a pattern anywhere with its places', async () => {
    const match = regexValidator('ticket', '[A-Z]{3}-\\d{4}', '', 'match');
    expect((await match.check(' ABC-1234\n', context)).passed).toBe(true);
    expect((await match.check('ABC-1234 thanks', context)).passed).toBe(false);
    const forbid = regexValidator('no-urls', 'https?://\\S+', 'i', 'forbid');
    const result = await forbid.check('see http://a.example and HTTPS://b.example.', context);
    expect(result.issues.map(({ start, end }) => [start, end])).toEqual([
      [4, 20],
      [25, 43],
    ]);
    expect(forbid.filter!('see http://a.example and HTTPS://b.example.', result)).toBe('see  and ');
    expect(() => regexValidator('bad', '(', '', 'match')).toThrow(
      expect.objectContaining({ code: 'GUARD_OPTIONS' }),
    );
  });

  it('regex: a pattern that backtracks past its time limit fails the check instead of holding the process', async () => {
    // 2^40 paths for JavaScript's matcher: the old in-process check would not have returned
    const text = `${'a'.repeat(40)}!`;
    for (const mode of ['match', 'forbid'] as const) {
      const nested = regexValidator('nested', '(a+)+$', '', mode, { limitMs: 100 });
      const result = await nested.check(text, context);
      expect(result.passed).toBe(false);
      expect(result.issues[0].reason).toMatch(
        /^\/.*\/ did not finish within 100 ms on a text of 41 characters: not shown to pass \(The pattern backtracks/,
      );
      // nothing known to cut out: the filter policy cannot pass it
      expect(nested.filter?.(text, result)).toBeUndefined();
    }
  });

  it('length: characters (code points) and tokens of the model tokenizer', async () => {
    const { tokenizer } = await loadModel(stories.gguf);
    const countTokens = (text: string) => tokenizer.encode(text, { addBos: false }).length;
    const validator = lengthValidator('short', { maxCharacters: 5, maxTokens: 3 });
    expect(
      (await validator.check('😀😀😀😀😀', { countTokens })).issues.map((issue) => issue.reason),
    ).toEqual([expect.stringMatching(/tokens, more than 3/)]);
    const long = await validator.check('Once upon a time', { countTokens });
    expect(long.issues.map((issue) => issue.reason)).toEqual([
      'has 16 characters, more than 5',
      `has ${countTokens('Once upon a time')} tokens, more than 3`,
    ]);
    expect(long.issues[0]).toMatchObject({ start: 5, end: 16 });
    expect(() => validator.check('longer than three', {})).toThrow(
      expect.objectContaining({ code: 'GUARD_NO_TOKENIZER' }),
    );
    // no counting when every token being at least a byte settles it, or the model said how many it wrote
    expect(validator.check('abc', {})).toEqual({ passed: true, issues: [] });
    const known = { text: 'four five', tokens: 9 };
    expect(
      (validator.check('four five', { knownTokens: known }) as { issues: { reason: string }[] }).issues,
    ).toEqual([
      { reason: 'has 9 characters, more than 5', start: 5, end: 9 },
      { reason: 'has 9 tokens, more than 3' },
    ]);
    expect(() => lengthValidator('none', {})).toThrow(expect.objectContaining({ code: 'GUARD_OPTIONS' }));
  });

  it('custom: a module function returning a boolean or a verdict with a reason', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'promptune-validator-'));
    writeFileSync(
      join(folder, 'polite.mjs'),
      'export default (text) => text.includes("please") || { passed: false, reason: "not polite" };\nexport const yes = () => true;\n',
    );
    const validator = await customValidator('polite', 'polite.mjs', 'default', folder);
    expect(await validator.check('please sit', {})).toEqual({ passed: true, issues: [] });
    expect(await validator.check('sit', {})).toEqual({ passed: false, issues: [{ reason: 'not polite' }] });
    await expect(customValidator('x', 'missing.mjs', 'default', folder)).rejects.toMatchObject({
      code: 'GUARD_OPTIONS',
    });
    await expect(customValidator('x', 'polite.mjs', 'nope', folder)).rejects.toMatchObject({
      code: 'GUARD_OPTIONS',
    });
    writeFileSync(join(folder, 'broken.mjs'), 'export default (text) => {');
    await expect(customValidator('x', 'broken.mjs', 'default', folder)).rejects.toMatchObject({
      code: 'GUARD_OPTIONS',
    });
    writeFileSync(join(folder, 'throws.mjs'), 'export default () => { throw new Error("boom"); };');
    const throwing = await customValidator('x', 'throws.mjs', 'default', folder);
    // a text it throws on fails the check, saying why; what is not a verdict is the module's error
    expect(await throwing.check('a', {})).toEqual({
      passed: false,
      issues: [{ reason: `the validator in ${join(folder, 'throws.mjs')} threw: boom (not shown to pass)` }],
    });
    writeFileSync(join(folder, 'shapeless.mjs'), 'export default () => 42;');
    const shapeless = await customValidator('x', 'shapeless.mjs', 'default', folder);
    await expect(Promise.resolve().then(() => shapeless.check('a', {}))).rejects.toMatchObject({
      code: 'GUARD_RESULT',
    });
  });

  it('judge: passes at or above the threshold, reports its tokens, fails an unreadable verdict', async () => {
    const judge = new ScriptedModel(
      'scripted-judge',
      (prompt) => (prompt.includes('rude') ? 'SCORE: 2\nREASON: it is rude' : 'SCORE: 9\nREASON: fine'),
      [40, 8],
    );
    const validator = judgeValidator('polite', judge, 'The response is polite.', 0.5);
    expect(await validator.check('Thank you kindly.', {})).toEqual({
      passed: true,
      issues: [],
      usage: { inputTokens: 40, outputTokens: 8 },
    });
    const failed = await validator.check('that is rude', {});
    expect(failed.issues[0].reason).toBe('judged 0.2 < 0.5: it is rude');
    expect(judge.prompts[0]).toContain('Requirement: The response is polite.');
    const mute = judgeValidator('polite', new ScriptedModel('scripted-mute', () => 'no idea'), 'x', 0.5);
    expect((await mute.check('hi', {})).issues[0].reason).toMatch(/gave no score/);
  });

  it('from a spec: defaults from the task, and coded errors for what cannot run', async () => {
    const task = taskSpec.parse({
      name: 'animal',
      output: { kind: 'label', labels: ['dog', 'cat'] },
      prompt: { template: '{{input}}' },
    });
    const base = { task, baseDirectory: '.' };
    const labels = await createValidator({ validator: 'labels', onFail: 'noop', caseSensitive: false }, base);
    expect((await labels.check('cat', {})).passed).toBe(true);
    await expect(createValidator({ validator: 'json-schema', onFail: 'noop' }, base)).rejects.toMatchObject({
      code: 'GUARD_OPTIONS',
    });
    await expect(
      createValidator({ validator: 'judge', onFail: 'noop', rubric: 'x', threshold: 0.5 }, base),
    ).rejects.toMatchObject({
      code: 'GUARD_OPTIONS',
    });
    const twice = {
      input: [{ validator: 'pii', onFail: 'fix' }],
      output: [{ validator: 'pii', onFail: 'noop' }],
    };
    await expect(createGuardSet(guardsSpec.parse(twice), base)).rejects.toThrow(/named "pii"/);
    const refrains = { output: [{ validator: 'refusal', onFail: 'refrain' }] };
    await expect(createGuardSet(guardsSpec.parse(refrains), base)).rejects.toThrow(/no refrain text/);
    expect(() => lengthValidator('backwards', { minCharacters: 10, maxCharacters: 5 })).toThrow(
      expect.objectContaining({ code: 'GUARD_OPTIONS' }),
    );
    const pii = await createValidator({ validator: 'pii', onFail: 'fix', kinds: ['email'] }, base);
    const found = await pii.check('mail ada@example.com or call 415-555-0132', {});
    expect(found.issues).toEqual([{ reason: 'contains an email', start: 5, end: 20 }]);
  });
});
