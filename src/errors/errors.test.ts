import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as errors from './index.js';
import { PromptuneError } from './index.js';

const kinds = Object.entries(errors).filter(
  ([name, value]) => typeof value === 'function' && name.endsWith('Error') && value !== PromptuneError,
) as [string, typeof PromptuneError][];

describe('error kinds', () => {
  it('exports every kind', () => {
    expect(kinds.map(([name]) => name).sort()).toEqual([
      'AuthError',
      'ConflictError',
      'DatasetError',
      'DownloadError',
      'EngineError',
      'GuardError',
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
