// A registry location must name one registry: a SQLite path or a Postgres URL. None (an unset
// environment variable's undefined) had opened .promptune/registry.sqlite under the working folder.
import { describe, expect, it } from 'vitest';
import { PromptuneError } from '../errors/index.js';
import { Registry } from './registry.js';

const codeOf = (opening: Promise<unknown>) =>
  opening.then(
    () => 'opened',
    (error: unknown) => (PromptuneError.isInstance(error) ? error.code : String(error)),
  );

describe('Registry.open', () => {
  it('refuses a location naming no registry, or two', async () => {
    const locations = [
      {},
      { path: '' },
      { path: undefined, url: '' },
      { path: 'a.sqlite', url: 'postgres://x/y' },
    ];
    expect(await Promise.all(locations.map((location) => codeOf(Registry.open(location))))).toEqual(
      locations.map(() => 'REGISTRY_BAD_LOCATION'),
    );
  });
});
