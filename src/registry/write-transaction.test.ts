// Write transactions on a real SQLite file held by another connection: a write waits (without blocking
// the event loop) until the lock is free, and gives up with REGISTRY_BUSY when its retries run out.
// Errors are told apart by the codes the drivers really raise.
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../errors/index.js';
import { taskSpec } from '../tasks/spec.js';
import { Registry } from './registry.js';
import { isBusyError, isUniqueViolation } from './write-transaction.js';

const spec = taskSpec.parse({ name: 'qa', prompt: { template: '{{input}}' } });

async function registryHeldByAnotherConnection(writeRetry?: Parameters<typeof Registry.open>[1]) {
  const path = join(mkdtempSync(join(tmpdir(), 'promptune-busy-')), 'registry.sqlite');
  const registry = await Registry.open({ path }, writeRetry);
  const other = new Database(path);
  other.exec('begin immediate'); // holds the write lock until rollback
  return { registry, other };
}

describe('registry write transactions', () => {
  it('wait for a busy SQLite file asynchronously, and succeed once it is free', async () => {
    const { registry, other } = await registryHeldByAnotherConnection();
    const events: string[] = [];
    const write = registry.putTask(spec).then(() => events.push('written'));
    // this timer fires while the write waits its turn (asynchronously, between short busy waits)
    await new Promise((resolve) => setTimeout(resolve, 50));
    events.push('released');
    other.exec('rollback');
    await write;
    expect(events).toEqual(['released', 'written']);
    expect(await registry.getTask('qa')).toEqual(spec);
    other.close();
    await registry.close();
  });

  it('give up with REGISTRY_BUSY when the retries run out, writing nothing', async () => {
    const { registry, other } = await registryHeldByAnotherConnection({
      writeRetry: { attempts: 3, initialDelayMs: 1, maximumDelayMs: 2 },
    });
    const error = await registry.putTask(spec).catch((caught: unknown) => caught);
    expect(UnavailableError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'REGISTRY_BUSY' });
    expect((error as UnavailableError).hint).toBeTruthy();
    other.exec('rollback');
    other.close();
    expect(await registry.listTasks()).toEqual([]);
    await registry.close();
  });

  it('tell busy errors and uniqueness races apart by their codes', () => {
    const database = new Database(':memory:');
    database.exec("create table t (id integer primary key, name text unique check (name <> 'bad'))");
    database.exec("insert into t values (1, 'a')");
    const raised = (statement: string) => {
      try {
        database.exec(statement);
      } catch (error) {
        return error;
      }
      throw new Error(`${statement} did not fail`);
    };
    const cases: [string, unknown, { busy: boolean; unique: boolean }][] = [
      ['SQLite primary key', raised("insert into t values (1, 'b')"), { busy: false, unique: true }],
      ['SQLite unique', raised("insert into t values (2, 'a')"), { busy: false, unique: true }],
      ['SQLite check', raised("insert into t values (3, 'bad')"), { busy: false, unique: false }],
      [
        'SQLite busy',
        Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }),
        { busy: true, unique: false },
      ],
      ['SQLite busy snapshot', { code: 'SQLITE_BUSY_SNAPSHOT' }, { busy: true, unique: false }],
      ['Postgres unique', { code: '23505' }, { busy: false, unique: true }],
      ['Postgres serialization', { code: '40001' }, { busy: true, unique: false }],
      ['Postgres deadlock', { code: '40P01' }, { busy: true, unique: false }],
      ['Postgres foreign key', { code: '23503' }, { busy: false, unique: false }],
      ['a message that only says unique', new Error('duplicate key: unique'), { busy: false, unique: false }],
    ];
    for (const [name, error, expected] of cases)
      expect({ name, busy: isBusyError(error), unique: isUniqueViolation(error) }).toEqual({
        name,
        ...expected,
      });
    database.close();
  });
});
