// The json-schema validator on the schemas a user trial brought: draft 2020-12 (as zod 4 writes it),
// misspelled keywords (refused at load, with the keyword named), scalar roots (a bare 42 or "hello")
// and formats (checked, without a line on stderr).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { jsonSchemaValidator } from './json-schema.js';

const context = {};
const failed = { passed: false, issues: [] };

afterEach(() => {
  vi.restoreAllMocks();
});

describe('jsonSchemaValidator', () => {
  it('takes a draft 2020-12 schema written by zod', async () => {
    const contact = z.object({
      name: z.string(),
      email: z.email(),
      point: z.tuple([z.number(), z.number()]),
      tags: z.array(z.string()).optional(),
    });
    const schema = z.toJSONSchema(contact);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const validator = jsonSchemaValidator('contact', schema);
    const good = '{"name": "Ada", "email": "ada@example.com", "point": [1, 2]}';
    expect(await validator.check(good, context)).toEqual({ passed: true, issues: [] });
    const badTuple = '{"name": "Ada", "email": "ada@example.com", "point": [1, 2, 3]}';
    expect((await validator.check(badTuple, context)).passed).toBe(false);
  });

  it('takes 2019-09 and draft-07 by their $schema, draft-07 when there is none', async () => {
    for (const $schema of [
      'https://json-schema.org/draft/2019-09/schema',
      'http://json-schema.org/draft-07/schema#',
      undefined,
    ]) {
      const validator = jsonSchemaValidator('n', { $schema, type: 'object', required: ['n'] });
      expect((await validator.check('{"n": 1}', context)).passed).toBe(true);
      expect((await validator.check('{}', context)).passed).toBe(false);
    }
  });

  it.each([
    ['requird', { type: 'object', requird: ['name'] }],
    ['propertes', { type: 'object', propertes: { name: { type: 'string' } } }],
    ['minLenght', { type: 'object', properties: { name: { type: 'string', minLenght: 1 } } }],
    ['itmes', { type: 'array', itmes: { type: 'string' } }],
  ])('refuses the misspelled keyword %s when it is loaded', (keyword, schema) => {
    expect(() => jsonSchemaValidator('contact', schema)).toThrow(
      expect.objectContaining({
        code: 'GUARD_OPTIONS',
        hint: expect.stringContaining(`"${keyword}"`) as unknown,
      }),
    );
  });

  it('names the supported drafts for a $schema it does not load', () => {
    expect(() =>
      jsonSchemaValidator('old', { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' }),
    ).toThrow(expect.objectContaining({ code: 'GUARD_OPTIONS', hint: expect.stringMatching(/2020-12/) }));
  });

  it.each([
    ['properties without type: object', { properties: { name: { type: 'string' } }, required: ['name'] }],
    ['a draft-07 tuple without minItems', { type: 'array', items: [{ type: 'string' }, { type: 'number' }] }],
    ['OpenAPI nullable and example', { type: 'string', nullable: true, example: 'Ada' }],
    [
      'annotations and $comment',
      { type: 'object', title: 't', description: 'd', $comment: 'c', default: {} },
    ],
    ['an x- extension', { type: 'object', 'x-order': 1, properties: { a: { 'x-label': 'A' } } }],
    ['definitions and $ref', { definitions: { n: { type: 'number' } }, $ref: '#/definitions/n' }],
    ['a format ajv-formats does not know', { type: 'string', format: 'jwt', pattern: '^ey' }],
  ])('still compiles a valid schema: %s', (_what, schema) => {
    expect(() => jsonSchemaValidator('valid', schema)).not.toThrow();
  });

  it('passes a bare scalar when the root schema is a scalar type', async () => {
    const number = jsonSchemaValidator('number', { type: 'number' });
    expect(await number.check('42', context)).toEqual({ passed: true, issues: [] });
    expect((await number.check('```json\n42\n```', context)).passed).toBe(true);
    expect((await number.check('"42"', context)).passed).toBe(false);
    const string = jsonSchemaValidator('string', { type: 'string', minLength: 2 });
    expect((await string.check('"hello"', context)).passed).toBe(true);
    expect((await string.check(' "hello"\n', context)).passed).toBe(true);
    const verdict = jsonSchemaValidator('verdict', { enum: ['yes', 'no'] });
    expect((await verdict.check('"yes"', context)).passed).toBe(true);
    expect((await verdict.check('"maybe"', context)).passed).toBe(false);
    const optional = jsonSchemaValidator('optional', { type: ['object', 'null'] });
    expect((await optional.check('null', context)).passed).toBe(true);
    expect((await optional.check('Sure: {"a": 1}', context)).passed).toBe(true);
  });

  it('reads plain text as not JSON for a string root, and fix quotes it', async () => {
    const string = jsonSchemaValidator('string', { type: 'string', maxLength: 10 });
    expect((await string.check('hello', context)).issues[0].reason).toMatch(/is not JSON/);
    expect(string.fix!('hello', failed)).toBe('"hello"');
    expect(string.fix!('far too long for the schema', failed)).toBeUndefined();
    const number = jsonSchemaValidator('number', { type: 'number' });
    expect(number.fix!('forty-two', failed)).toBeUndefined();
  });

  it('still wants an object where the root is an object', async () => {
    const object = jsonSchemaValidator('object', { type: 'object' });
    expect((await object.check('42', context)).passed).toBe(false);
    expect((await object.check('"text"', context)).passed).toBe(false);
  });

  it('checks formats, without a warning on stderr', async () => {
    const warn = vi.spyOn(console, 'warn');
    const error = vi.spyOn(console, 'error');
    const validator = jsonSchemaValidator('contact', {
      type: 'object',
      properties: { email: { type: 'string', format: 'email' }, on: { type: 'string', format: 'date' } },
    });
    expect((await validator.check('{"email": "ada@example.com", "on": "2024-05-12"}', context)).passed).toBe(
      true,
    );
    const bad = await validator.check('{"email": "not an address", "on": "2024-13-45"}', context);
    expect(bad.passed).toBe(false);
    expect(bad.issues[0].reason).toMatch(/\/email must match format "email"/);
    expect(bad.issues[0].reason).toMatch(/\/on must match format "date"/);
    expect(warn).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
  });
});
