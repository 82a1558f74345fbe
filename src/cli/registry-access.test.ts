// Where a command's registry is: DATABASE_URL's Postgres, else the SQLite file --db names; a Postgres URL
// given to --db is refused (it had been made a SQLite file of that name), its password not shown.
import { afterEach, describe, expect, it } from 'vitest';
import { registryLocation } from './registry-access.js';

describe('registryLocation', () => {
  const saved = process.env.DATABASE_URL;
  afterEach(() => {
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
  });

  it('reads --db as a SQLite file, and DATABASE_URL first', () => {
    delete process.env.DATABASE_URL;
    expect(registryLocation('.promptune/registry.sqlite')).toEqual({ path: '.promptune/registry.sqlite' });
    process.env.DATABASE_URL = 'postgresql://localhost/promptune';
    expect(registryLocation('.promptune/registry.sqlite')).toEqual({
      url: 'postgresql://localhost/promptune',
    });
  });

  it('refuses a Postgres URL given to --db, naming DATABASE_URL', () => {
    delete process.env.DATABASE_URL;
    for (const db of ['postgresql://ada:s3cret@db/promptune', 'postgres:/bad', 'POSTGRESQL://db/x'])
      expect(() => registryLocation(db)).toThrow(
        expect.objectContaining({
          code: 'REGISTRY_BAD_URL',
          hint: 'Set DATABASE_URL to the Postgres URL instead (and drop --db).',
          message: expect.not.stringContaining('s3cret'),
        }),
      );
  });
});
