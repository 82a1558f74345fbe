// The error code reference is read off the source: the committed docs/errors.md must be what
// `npm run docs:errors` writes now, so a code added, renamed or removed changes the page with it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorReference, errorReferencePath } from '../scripts/error-reference.js';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('the error code reference', () => {
  it('lists every code the source throws, with its kind, file and hint, as npm run docs:errors writes it', async () => {
    const written = await errorReference(root);
    // what a reader looks up: the code, the kind (its HTTP status), where, and what to do
    expect(written).toMatch(
      /\| `REGISTRY_NO_TASK` +\| `NotFoundError` +\| [^|]*src\/registry\/[a-z-]+\.ts.*\| .*promptune/,
    );
    expect(written).toMatch(/\| `GUARD_OUTPUT_REFUSED` +\| `GuardError`/);
    // read through a reader (parseInput and the like): the kind its source names, else ValidationError
    expect(written).toMatch(/\| `TOKENIZER_CORRUPT` +\| `TokenizerError` /);
    expect(written).toMatch(/\| `ADAPTER_METADATA_INVALID` +\| `ValidationError` /);
    expect(Number(/lists the (\d+) codes/.exec(written)?.[1])).toBeGreaterThan(250);
    expect(
      readFileSync(join(root, errorReferencePath), 'utf8'),
      `${errorReferencePath} is out of date: run npm run docs:errors`,
    ).toBe(written);
  });
});
