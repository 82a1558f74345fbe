// Where a command's registry is: DATABASE_URL's Postgres, else the SQLite file --db names; a Postgres URL
// given to --db is refused (it had been made a SQLite file of that name), its password not shown.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Registry } from '../registry/index.js';
import { taskSpec } from '../tasks/index.js';
import { pushAndLabel, registryLocation } from './registry-access.js';

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

  it('says once that a --db of its own is ignored while DATABASE_URL is set', () => {
    process.env.DATABASE_URL = 'postgresql://ada:s3cret@db/promptune';
    const said = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(registryLocation('old.sqlite')).toEqual({ url: process.env.DATABASE_URL });
      expect(registryLocation('old.sqlite')).toEqual({ url: process.env.DATABASE_URL });
      expect(said.mock.calls.map(([text]) => String(text))).toEqual([
        'warning: --db old.sqlite is ignored: DATABASE_URL is set, and its registry (postgresql://ada:***@db/promptune) is used; unset DATABASE_URL to use --db\n',
      ]);
    } finally {
      said.mockRestore();
    }
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

describe('pushAndLabel', () => {
  it('keeps nothing when the audit policy refuses the label, and says how to push, audit and move', async () => {
    const registry = await Registry.open({ path: ':memory:' });
    const spec = taskSpec.parse({
      name: 'fair',
      prompt: { template: '{{input}}' },
      audit: { policy: { bias: { maxFlipRate: 0.05 } } },
    });
    const actor = { name: 'ana', scopes: ['admin'] };
    const error = (await pushAndLabel(registry, actor, { name: 'production', reason: 'push' }, (target) =>
      target.pushVersion({ task: 'fair', kind: 'hard', content: { template: 'A {{input}}' }, spec, actor }),
    ).catch((caught: unknown) => caught)) as { code: string; message: string; hint: string };
    expect(error.code).toBe('REGISTRY_AUDIT_POLICY');
    expect(error.message).toMatch(/no bias audit of this version is recorded.*\(the push was not kept\)$/);
    expect(error.hint).toBe(
      'Push it without --label, record its audits (promptune audit bias|sensitivity --version fair@1 --push, as the policy asks), then move the label: promptune registry label fair production 1.',
    );
    expect(await registry.taskNames()).toEqual([]);
    await registry.close();
  });
});
