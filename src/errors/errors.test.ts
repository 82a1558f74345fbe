import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as errors from './index.js';
import { PromptuneError } from './index.js';

// the error classes (upstreamError, a function that makes one, is not a kind)
const kinds = Object.entries(errors).filter(
  ([name, value]) => typeof value === 'function' && /^[A-Z]\w*Error$/.test(name) && value !== PromptuneError,
) as [string, typeof PromptuneError][];

describe('error kinds', () => {
  it('exports every kind', () => {
    expect(kinds.map(([name]) => name).sort()).toEqual([
      'AuthError',
      'BudgetExceededError',
      'ConflictError',
      'DatasetError',
      'DownloadError',
      'EngineError',
      'EnvironmentError',
      'GuardError',
      'InterruptedError',
      'NotFoundError',
      'PermissionError',
      'ProviderError',
      'QualityGateError',
      'ShapeError',
      'TokenizerError',
      'UnavailableError',
      'ValidationError',
      'WeightLoadError',
    ]);
  });

  it.each(kinds)('%s recognises its own instances and no other kind', (name, Kind) => {
    const own = new Kind('x', { code: 'X' });
    expect(own.name).toBe(name);
    expect(Kind.isInstance(own)).toBe(true);
    expect(PromptuneError.isInstance(own)).toBe(true);
    for (const [otherName, Other] of kinds) {
      if (otherName === name) continue;
      expect(Kind.isInstance(new Other('x', { code: 'X' })), `${name}.isInstance(new ${otherName})`).toBe(
        false,
      );
    }
    expect(Kind.isInstance(new PromptuneError('x', { code: 'X' }))).toBe(false);
    expect(Kind.isInstance(new Error('x'))).toBe(false);
    expect(Kind.isInstance(null)).toBe(false);
    expect(Kind.isInstance('x')).toBe(false);
  });

  it('recognises an error made by another copy of the package by its marker', () => {
    const foreign = Object.assign(new Error('x'), {
      [Symbol.for('promptune.error')]: true,
      [Symbol.for('promptune.error.not-found-error')]: true,
    });
    expect(errors.NotFoundError.isInstance(foreign)).toBe(true);
    expect(errors.ValidationError.isInstance(foreign)).toBe(false);
  });
});

describe('parseInput', () => {
  const source = { where: 'config.json', code: 'CONFIG_BAD', hint: 'Fix it.' };
  const schema = z.object({ size: z.number().int().positive(), names: z.array(z.string()) });

  it('returns the parsed value', () => {
    expect(errors.parseInput(schema, { size: 2, names: ['a'] }, source)).toEqual({ size: 2, names: ['a'] });
  });

  it.each([
    [{ size: 'two', names: [] }, /config.json: field size: .*expected number/],
    [{ size: 2, names: ['a', 3] }, /field names.1: .*expected string/],
    [{ size: Number.NaN, names: [] }, /field size: .*received NaN/],
    [null, /config.json: .*expected object/],
  ])('names the field at fault in %j', (value, message) => {
    const error = (() => {
      try {
        errors.parseInput(schema, value, source);
      } catch (caught) {
        return caught;
      }
    })();
    expect(errors.ValidationError.isInstance(error)).toBe(true);
    expect((error as PromptuneError).code).toBe('CONFIG_BAD');
    expect((error as PromptuneError).hint).toBe('Fix it.');
    expect((error as Error).message).toMatch(message);
  });

  it('reads JSON files: missing, not JSON, wrong shape, fine', () => {
    const folder = mkdtempSync(join(tmpdir(), 'promptune-parse-'));
    const file = (name: string, text: string) => {
      writeFileSync(join(folder, name), text);
      return join(folder, name);
    };
    const read = (path: string) => () => errors.readJsonFile(path, schema, { ...source, where: path });
    expect(read(join(folder, 'absent.json'))).toThrow(expect.objectContaining({ code: 'FILE_NOT_FOUND' }));
    expect(read(file('truncated.json', '{"size": 2, "na'))).toThrow(/is not valid JSON/);
    expect(read(file('shape.json', '{"size": 0, "names": []}'))).toThrow(/field size/);
    expect(read(file('ok.json', '{"size": 1, "names": []}'))()).toEqual({ size: 1, names: [] });
  });

  it('refuses JSON nested deeper than the limit, counting brackets outside strings only', () => {
    const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
    expect(() => errors.parseJsonText(nested(200_000), source)).toThrow(
      expect.objectContaining({ code: 'CONFIG_BAD', message: 'config.json nests more than 128 levels deep' }),
    );
    expect(errors.parseJsonText(nested(128), source)).toBeInstanceOf(Array);
    const text = JSON.stringify({ text: '['.repeat(1000) + '\\"[' });
    expect(errors.parseJsonText(text, source)).toEqual(JSON.parse(text));
  });
});

describe('readYamlFile', () => {
  const folder = mkdtempSync(join(tmpdir(), 'promptune-yaml-'));
  const schema = z.object({ name: z.string(), every: z.number().optional() }).strict();
  const source = { where: 'the file', code: 'SOME_INVALID', hint: 'Fix it.', notFoundCode: 'SOME_MISSING' };
  const read = (text: string) => {
    const path = join(folder, `${Math.random()}.yaml`);
    writeFileSync(path, text);
    return errors.readYamlFile(path, schema, source);
  };
  const failure = (text: string) => {
    try {
      read(text);
    } catch (error) {
      return error as PromptuneError;
    }
    throw new Error('read');
  };

  it('reads YAML and JSON through the schema', () => {
    expect(read('name: loop\nevery: 3\n')).toEqual({ name: 'loop', every: 3 });
    expect(read('{"name": "loop"}')).toEqual({ name: 'loop' });
  });

  it('refuses a missing file, bad syntax with its line, duplicate keys, alias bombs and a wrong shape', () => {
    expect(() => errors.readYamlFile(join(folder, 'none.yaml'), schema, source)).toThrow(
      expect.objectContaining({ code: 'SOME_MISSING' }),
    );
    expect(failure('name: [loop\n')).toMatchObject({ code: 'SOME_INVALID' });
    expect(failure('name: a\nname: b\n').message).toMatch(/^the file:2:1: /);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level < 12; level++)
      bomb.push(
        `${String.fromCharCode(97 + level)}: &${String.fromCharCode(97 + level)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + level)}`)
          .join(', ')}]`,
      );
    expect(failure(`${bomb.join('\n')}\nname: x\n`).message).toMatch(/^the file: the YAML cannot be read: /);
    expect(failure(`name: x\nlist: ${'['.repeat(6000)}${']'.repeat(6000)}\n`).message).toBe(
      'the file nests too deeply to read',
    );
    expect(failure('name: 3\n').message).toMatch(/field name/);
    expect(failure('name: x\nextra: 1\n')).toMatchObject({ code: 'SOME_INVALID' });
  });
});

describe('describeIssues', () => {
  const schema = z.strictObject({
    name: z.string(),
    prompt: z.strictObject({ template: z.string() }),
  });
  const described = (value: unknown) => errors.describeIssues(schema.safeParse(value).error!.issues);

  it('says a field that is not known is the missing one it is near, first, as one issue', () => {
    expect(described({ name: 'x', promt: { template: 't' } })).toBe(
      'field promt is not known; did you mean prompt?',
    );
    expect(described({ name: 'x', prompt: { templat: 't' } })).toBe(
      'field prompt.templat is not known; did you mean prompt.template?',
    );
  });

  it('leaves an unknown field near nothing missing, and a missing one near no unknown field, as they were', () => {
    expect(described({ name: 'x', prompt: { template: 't' }, extra: 1 })).toBe('Unrecognized key: "extra"');
    expect(described({ prompt: { template: 't' } })).toBe(
      'field name: Invalid input: expected string, received undefined',
    );
  });
});

describe('describeIssues of a union', () => {
  const constraint = z.union([
    z.boolean(),
    z.discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('choice'), choices: z.array(z.string()) }),
      z.strictObject({ kind: z.literal('regex'), pattern: z.string() }),
    ]),
  ]);
  const schema = z.strictObject({ constrain: constraint });
  const described = (value: unknown) => errors.describeIssues(schema.safeParse(value).error!.issues);

  it('says the branch the value was of the type of, under its path ("Invalid input" said nothing)', () => {
    expect(described({ constrain: { kind: 'grammar' } })).toBe(
      "field constrain.kind: Invalid discriminator value. Expected 'choice' | 'regex'",
    );
    expect(described({ constrain: { kind: 'regex' } })).toBe(
      'field constrain.pattern: Invalid input: expected string, received undefined',
    );
    // no branch of its type: the union's own issue
    expect(described({ constrain: 3 })).toBe('field constrain: Invalid input');
  });
});

describe('unlessNotFound', () => {
  it('gives the value, undefined for a NotFoundError, and lets any other failure through', async () => {
    const hint = { code: 'X', hint: 'h' };
    expect(await errors.unlessNotFound(Promise.resolve(3))).toBe(3);
    expect(
      await errors.unlessNotFound(Promise.reject(new errors.NotFoundError('gone', hint))),
    ).toBeUndefined();
    await expect(
      errors.unlessNotFound(Promise.reject(new errors.ValidationError('bad', hint))),
    ).rejects.toMatchObject({ code: 'X', message: 'bad' });
  });
});
