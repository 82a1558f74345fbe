// The shared ajv setup as the json metric and the typed output read it: the draft by `$schema`,
// unknown keywords refused with the keyword named, scalar roots read as bare JSON values, formats
// checked. The guard's validator has its own cases (src/guard/validators/json-schema.test.ts).
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { Example } from './dataset.js';
import { compileJsonSchema, rootMayBeScalar, schemaProblem } from './compile-json-schema.js';
import { jsonMetric } from './metrics/json-metric.js';
import { extractJsonFor } from './metrics/index.js';
import { taskSpec } from './spec.js';

const task = taskSpec.parse({
  name: 't',
  prompt: { template: '{{input}}' },
  output: { kind: 'label', labels: ['a', 'b'] },
});
const context = { task, baseDirectory: tmpdir() };
const example = (target: unknown): Example => ({
  index: 0,
  line: 1,
  fields: { input: 'x' },
  target,
  id: 'e',
});

describe('compileJsonSchema', () => {
  it('compiles draft 2020-12 by its $schema', () => {
    const validate = compileJsonSchema({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'array',
      prefixItems: [{ type: 'string' }],
      items: false,
    });
    expect(validate(['a'])).toBe(true);
    expect(validate(['a', 'b'])).toBe(false);
  });

  it('refuses an unknown keyword, and the hint names it', () => {
    let caught: unknown;
    try {
      compileJsonSchema({ type: 'object', requird: ['name'] });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(Error);
    expect(schemaProblem(caught)).toMatch(/Correct or remove the keyword "requird"/);
  });

  it('serves a stored schema with an unknown keyword as it went in, when not strict', () => {
    // a version pushed before keywords were checked must go on being served (strict made it a 500)
    const stored = { type: 'object', required: ['a'], discriminator: { propertyName: 'a' } };
    expect(() => compileJsonSchema(stored)).toThrow(/unknown keyword/);
    const validate = compileJsonSchema(stored, { strict: false });
    expect(validate({ a: 1 })).toBe(true);
    expect(validate({})).toBe(false);
  });

  it('checks formats', () => {
    const validate = compileJsonSchema({ type: 'string', format: 'email' });
    expect(validate('ada@example.com')).toBe(true);
    expect(validate('ada')).toBe(false);
  });

  it("refuses a format a letter or two from a known one where a schema is authored, and keeps zod's and OpenAPI's as notes", () => {
    let caught: unknown;
    try {
      compileJsonSchema({ type: 'string', format: 'emial' });
    } catch (error) {
      caught = error;
    }
    expect(schemaProblem(caught)).toBe(
      'Correct the format "emial" (to "email"?): a misspelled format would check nothing.',
    );
    for (const [written, meant] of [
      ['emal', 'email'],
      ['date-tme', 'date-time'],
      ['uuidd', 'uuid'],
      ['ipv5', 'ipv4'],
    ])
      expect(() => compileJsonSchema({ type: 'string', format: written })).toThrow(`did you mean "${meant}"`);
    // a stored schema is served as it went in; zod's cuid and ulid (near uuid) and OpenAPI's int64 are
    // formats of their own, and a name near none is a note as before
    expect(compileJsonSchema({ type: 'string', format: 'emial' }, { strict: false })('x')).toBe(true);
    for (const format of ['cuid', 'ulid', 'guid', 'int64', 'phone-number', 'isbn'])
      expect(compileJsonSchema({ type: 'string', format })('x')).toBe(true);
  });
});

describe('scalar roots', () => {
  it.each([
    [{ type: 'string' }, true],
    [{ type: 'integer' }, true],
    [{ type: ['object', 'null'] }, true],
    [{ enum: ['yes', 'no'] }, true],
    [{ const: 3 }, true],
    [{ anyOf: [{ type: 'object' }, { type: 'boolean' }] }, true],
    [{ type: 'object' }, false],
    [{ type: 'array' }, false],
    [{ type: ['object', 'array'] }, false],
    [{ properties: { a: { type: 'string' } } }, false],
    [{ enum: [{ a: 1 }] }, false],
    [{}, false],
  ])('%j may be a scalar: %s', (schema, expected) => {
    expect(rootMayBeScalar(schema)).toBe(expected);
  });

  it('reads the whole output as one JSON value only when the root may be a scalar', () => {
    expect(extractJsonFor('42', { type: 'number' })).toBe(42);
    expect(extractJsonFor('```json\n"hi"\n```', { type: 'string' })).toBe('hi');
    expect(extractJsonFor('Sure: {"a": 1}', { type: ['object', 'null'] })).toEqual({ a: 1 });
    expect(() => extractJsonFor('42', { type: 'object' })).toThrow(/no JSON object/);
    expect(() => extractJsonFor('hello', { type: 'string' })).toThrow();
  });

  it('scores a bare number against a number schema in the json metric', () => {
    const metric = jsonMetric({ schema: { type: 'number', minimum: 0 } }, context);
    expect(metric.score(example(42), '42')).toMatchObject({ score: 1 });
    expect(metric.score(example(42), '-1')).toMatchObject({ score: 0 });
  });

  it('refuses a misspelled keyword in the json metric with METRIC_OPTIONS', () => {
    expect(() => jsonMetric({ schema: { type: 'object', requird: ['a'] } }, context)).toThrow(
      expect.objectContaining({ code: 'METRIC_OPTIONS', hint: expect.stringContaining('"requird"') }),
    );
  });
});
