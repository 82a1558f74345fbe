import { existsSync, mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDirectory } from './make-directory.js';

function failure(path: string): string | undefined {
  try {
    makeDirectory(path);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code;
  }
}

describe('makeDirectory', () => {
  it('creates missing parents and accepts a folder that exists', () => {
    const root = mkdtempSync(join(tmpdir(), 'promptune-make-directory-'));
    const path = join(root, 'a', 'b', 'c');
    makeDirectory(path);
    expect(statSync(path).isDirectory()).toBe(true);
    makeDirectory(path);
    makeDirectory(root);
  });

  it('names a file in the way as ENOTDIR, at the path or above it', () => {
    const root = mkdtempSync(join(tmpdir(), 'promptune-make-directory-'));
    writeFileSync(join(root, 'file'), 'x');
    expect(failure(join(root, 'file'))).toBe('ENOTDIR');
    expect(failure(join(root, 'file', 'below', 'deeper'))).toBe('ENOTDIR');
  });

  it.runIf(existsSync('/proc/self'))(
    'returns an error for a folder its existing parent cannot hold (Node 20 loops on /proc)',
    () => {
      expect(failure('/proc/promptune-nope')).toBe('ENOENT');
      expect(failure('/proc/promptune-nope/deeper')).toBe('ENOENT');
    },
  );

  it('returns an error for a parent that is a dangling link', () => {
    const root = mkdtempSync(join(tmpdir(), 'promptune-make-directory-'));
    symlinkSync(join(root, 'gone'), join(root, 'link'));
    expect(failure(join(root, 'link', 'child'))).toBe('ENOENT');
  });
});
