// A registry check gives up on a database that does not answer at all (a partition: its query hangs)
// within its wait, as unreachable (a lost connection: logged once a minute, not a stack per probe), and
// tells a query the database refused from one it never answered.
import { describe, expect, it } from 'vitest';
import { isConnectionLost, type Registry } from '../registry/index.js';
import { checkRegistry } from './registry-check.js';

const answering = (taskNames: () => Promise<string[]>) => ({ taskNames }) as unknown as Registry;

describe('checkRegistry', () => {
  it('says unreachable when the database does not answer in time, and ok when it does', async () => {
    const hung = await checkRegistry(
      answering(() => new Promise(() => {})),
      50,
    );
    expect(hung.state).toBe('unreachable');
    expect(hung.state !== 'ok' && isConnectionLost(hung.error)).toBe(true);
    expect(
      await checkRegistry(
        answering(async () => ['qa']),
        50,
      ),
    ).toEqual({ state: 'ok' });
    const refused = await checkRegistry(
      answering(async () => Promise.reject(Object.assign(new Error('syntax'), { code: '42601' }))),
      50,
    );
    expect(refused.state).toBe('failed');
  });
});
