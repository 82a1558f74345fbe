// The JSON Schema automaton accepts only valid JSON texts: random walks over allowed characters (seeded)
// must each parse and pass Ajv for a set of schemas, known valid texts are accepted and known invalid
// ones (or ones outside the documented subset) rejected, keys are canonical, and unsupported keywords
// are refused with CONSTRAINT_UNSUPPORTED naming the keyword and the place.
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../engine/index.js';
import { ValidationError } from '../../errors/index.js';
import { accepts, contactSchema, randomWalk } from './automaton-walks.case.js';
import { jsonSchemaAutomaton } from './json-schema-automaton.js';

/** examples/contact-extraction/task.yaml's output schema. */
const contact = contactSchema;

const schemas: Record<string, unknown> = {
  contact,
  nested: {
    type: 'object',
    required: ['id', 'tags'],
    properties: {
      id: { type: 'integer' },
      score: { type: 'number', minimum: 0 },
      tags: { type: 'array', items: { type: 'string', maxLength: 5 }, minItems: 1, maxItems: 3 },
      active: { type: 'boolean' },
      kind: { enum: ['a', 'b', 1, 12, null, { x: [1, 'é'] }] },
      meta: { type: 'object', properties: { note: { type: ['string', 'null'], minLength: 2 } } },
    },
  },
  recursiveAnyOf: {
    anyOf: [
      { type: 'string', pattern: '^[a-z]+@[a-z]+$', maxLength: 10 },
      { type: 'integer', minimum: 0 },
      { type: 'array', items: { $ref: '#' }, maxItems: 2 },
    ],
  },
  tree: {
    $defs: {
      node: {
        type: 'object',
        required: ['value'],
        properties: {
          value: { type: 'number' },
          children: { type: 'array', items: { $ref: '#/$defs/node' }, maxItems: 2 },
        },
      },
    },
    $ref: '#/$defs/node',
  },
  constObject: { const: { a: [true, null], 'q"': 'x\n' } },
  enumNumbers: { enum: [1, 12, 123, -4.5] },
  anything: {},
  everything: true,
  boundedString: { type: 'string', minLength: 2, maxLength: 4 },
  // the pattern must be met before maxLength: the last characters are forced
  searchPattern: { type: 'string', pattern: 'ab', maxLength: 12 },
  number: { type: 'number' },
  oneOfLiterals: { oneOf: [{ type: 'null' }, { type: 'boolean' }] },
  nullable: { type: 'string', nullable: true, maxLength: 3 },
  definitions: {
    definitions: { s: { type: 'string' } },
    type: 'array',
    items: { $ref: '#/definitions/s' },
    minItems: 2,
  },
  emptyObject: { type: 'object', additionalProperties: { type: 'string' } },
  oneItemAllOf: { allOf: [{ type: 'integer' }], title: 'annotations are ignored' },
};

const alphabet = [
  ...'{}[]",: \n\t\r',
  ...'abcdefghijklmnopqrstuvwxyz',
  ...'ABCDEF0123456789',
  ...'.-+eE\\/@_',
  'é',
  '😀',
  '\u0001',
];

describe('jsonSchemaAutomaton', () => {
  it.each(Object.keys(schemas))('writes only valid JSON for the %s schema (300 random walks)', (name) => {
    const schema = schemas[name];
    const automaton = jsonSchemaAutomaton(schema);
    const validate = new Ajv.default({ strict: false }).compile(schema as object);
    const random = seededRandom(name.length * 7919);
    const texts = new Set<string>();
    for (let walk = 0; walk < 300; walk++) {
      const text = randomWalk(automaton, random, {
        alphabet,
        stop: 0.2,
        patience: 40,
        closers: ['"', ']', '}'],
        limit: 4000,
      });
      expect(text).toBeDefined();
      let value: unknown;
      expect(() => (value = JSON.parse(text!)), text).not.toThrow();
      expect([text, validate(value)]).toEqual([text, true]);
      texts.add(text!);
    }
    expect(texts.size).toBeGreaterThan(name === 'constObject' || name === 'oneOfLiterals' ? 1 : 20);
  });

  const verdicts: [string, unknown, string, boolean][] = [
    ['contact', contact, '{"name":"A","email":"a@b.c","phone":null}', true],
    ['contact', contact, '  {\n  "name": "Ann",\n  "email" :"x",\n\t"phone": "555"\n}', true],
    ['contact', contact, '{"name":"\\"q\\" \\u00e9\\n\\/\\b\\f\\r\\t😀","email":"","phone":null}', true],
    ['contact', contact, '{"name":"A","email":"a"}', false],
    ['contact (declaration order only)', contact, '{"email":"a","name":"A","phone":null}', false],
    ['contact', contact, '{"name":"A","email":"a","phone":null,"x":1}', false],
    ['contact', contact, '{"name":"A","email":"a","phone":5}', false],
    ['contact', contact, '{"name":"A","email":"a","phone":null,}', false],
    ['contact (nothing after the value)', contact, '{"name":"A","email":"a","phone":null} ', false],
    ['contact', contact, '{"name":"A\nB","email":"a","phone":null}', false],
    ['contact (no surrogate escapes)', contact, '{"name":"\\uD83D\\uDE00","email":"a","phone":null}', false],
    [
      'contact (bounded whitespace)',
      contact,
      `{${' '.repeat(17)}"name":"A","email":"a","phone":null}`,
      false,
    ],
    ['contact', contact, `{${' '.repeat(16)}"name":"A","email":"a","phone":null}`, true],
    ['contact', contact, '{"name":"A","email":"a","phone":nul}', false],
    ['contact', contact, '{"name":"\\x","email":"a","phone":null}', false],
    ['number', { type: 'number' }, '-0.5e+10', true],
    ['number', { type: 'number' }, '01', false],
    ['number', { type: 'number' }, '1.', false],
    ['number', { type: 'number' }, '-', false],
    ['integer', { type: 'integer' }, '-120', true],
    ['integer (no fraction or exponent)', { type: 'integer' }, '1e3', false],
    ['integer with minimum 0', { type: 'integer', minimum: 0 }, '-1', false],
    ['bounded string', { type: 'string', minLength: 2, maxLength: 3 }, '"é😀"', true],
    ['bounded string', { type: 'string', minLength: 2, maxLength: 3 }, '"\\n\\u0041\\t"', true],
    ['bounded string', { type: 'string', minLength: 2, maxLength: 3 }, '"a"', false],
    ['bounded string', { type: 'string', minLength: 2, maxLength: 3 }, '"abcd"', false],
    ['pattern', { type: 'string', pattern: '^\\d+$' }, '"123"', true],
    ['pattern', { type: 'string', pattern: '^\\d+$' }, '"12a"', false],
    ['pattern (no \\u escapes)', { type: 'string', pattern: '^\\d+$' }, '"\\u0031"', false],
    ['array', { type: 'array', items: { type: 'integer' }, minItems: 1, maxItems: 2 }, '[ 1 , 2 ]', true],
    ['array', { type: 'array', items: { type: 'integer' }, minItems: 1, maxItems: 2 }, '[]', false],
    ['array', { type: 'array', items: { type: 'integer' }, minItems: 1, maxItems: 2 }, '[1,2,3]', false],
    ['array', { type: 'array', items: { type: 'integer' }, minItems: 1, maxItems: 2 }, '[1,]', false],
    ['enum', { enum: ['a', { b: 1 }] }, '{"b":1}', true],
    ['enum (as JSON.stringify writes it)', { enum: ['a', { b: 1 }] }, '{"b": 1}', false],
    ['union', { type: ['string', 'null'] }, 'null', true],
    ['union', { type: ['string', 'null'] }, 'true', false],
    ['optional properties', schemas.nested, '{"id":1,"tags":["a"]}', true],
    ['optional properties', schemas.nested, '{"id":1,"active":true,"tags":["a"]}', false],
    ['optional properties', schemas.nested, '{"id":1,"tags":["abcdef"]}', false],
    ['optional properties', schemas.nested, '{"id":1,"tags":["a"],"kind":{"x":[1,"é"]},"meta":{}}', true],
  ];

  it.each(verdicts)('%s: %j reads %j as valid: %s', (_name, schema, text, valid) => {
    expect(accepts(jsonSchemaAutomaton(schema), text)).toBe(valid);
  });

  it('keys states canonically: a free string keeps one key, a bounded one counts only what matters', () => {
    const automaton = jsonSchemaAutomaton(contact);
    const read = (text: string) =>
      [...text].reduce((state, character) => automaton.step(state, character)!, automaton.initial);
    const key = (text: string) => automaton.key(read(text));
    expect(key('{"name":"a')).toBe(key('{"name":"abcdefgh'));
    expect(key('{"name":"')).toBe(key('{"name":"a'));
    expect(key('{"name":"a\\')).not.toBe(key('{"name":"a'));
    const bounded = jsonSchemaAutomaton({ type: 'string', minLength: 2, maxLength: 40 });
    const boundedKey = (text: string) =>
      bounded.key([...text].reduce((state, c) => bounded.step(state, c)!, bounded.initial));
    expect(boundedKey('"ab')).not.toBe(boundedKey('"abc'));
    const atLeast = jsonSchemaAutomaton({ type: 'string', minLength: 2 });
    const atLeastKey = (text: string) =>
      atLeast.key([...text].reduce((state, c) => atLeast.step(state, c)!, atLeast.initial));
    expect(atLeastKey('"ab')).toBe(atLeastKey('"abcdef'));
    expect(atLeastKey('"a')).not.toBe(atLeastKey('"ab'));
    const complete = read('{"name":"a","email":"b","phone":null}');
    expect([automaton.accepting(complete), automaton.canContinue(complete)]).toEqual([true, false]);
  });

  it.each([
    [{ type: 'object', properties: { a: { not: { type: 'null' } } } }, '"not"', '#/properties/a'],
    [{ if: { type: 'string' } }, '"if"', '#'],
    [{ type: 'object', patternProperties: { '^x': {} } }, '"patternProperties"', '#'],
    [{ type: 'object', dependentRequired: { a: ['b'] } }, '"dependentRequired"', '#'],
    [{ type: 'array', items: { type: 'array', uniqueItems: true } }, '"uniqueItems"', '#/items'],
    [{ type: 'array', items: [{ type: 'string' }] }, 'tuples', '#/items'],
    [{ type: 'object', required: ['a'] }, 'required property "a"', '#/required'],
    [{ type: 'object', anyOf: [{ required: [] }] }, '"anyOf" beside type', '#'],
    [{ allOf: [{ type: 'string' }, { maxLength: 2 }] }, '"allOf"', '#'],
    [{ $ref: 'other.json#/x' }, '$ref', '#'],
    [{ properties: { a: { type: 'string', pattern: '(?=a)' } } }, 'lookaround', '#/properties/a/pattern'],
  ])('refuses %j with CONSTRAINT_UNSUPPORTED naming %s at %s', (schema, named, path) => {
    let caught: unknown;
    try {
      jsonSchemaAutomaton(schema);
    } catch (error) {
      caught = error;
    }
    expect(ValidationError.isInstance(caught)).toBe(true);
    expect((caught as ValidationError).code).toBe('CONSTRAINT_UNSUPPORTED');
    expect((caught as ValidationError).message).toContain(named);
    expect((caught as ValidationError).message).toContain(`${path} `.replace(/ $/, ''));
    expect((caught as ValidationError).hint).toMatch(/Supported/);
  });
});

describe('property order', () => {
  it('writes required properties in the order `required` lists them, then optional ones as declared', () => {
    // as a registry stores a spec: its keys sorted, its arrays as written
    const schema = {
      properties: { a: { type: 'string' }, email: { type: 'string' }, name: { type: 'string' } },
      required: ['name', 'email'],
      type: 'object',
    };
    const automaton = jsonSchemaAutomaton(schema);
    expect(accepts(automaton, '{"name":"A","email":"e","a":"x"}')).toBe(true);
    expect(accepts(automaton, '{"name":"A","email":"e"}')).toBe(true);
    expect(accepts(automaton, '{"email":"e","name":"A"}')).toBe(false);
    expect(accepts(automaton, '{"a":"x","name":"A","email":"e"}')).toBe(false);
  });
});
