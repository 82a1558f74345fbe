// Which errors read as the registry's database away for now (waited out by workers, a 503 from the
// service): lost sockets, a failover's Postgres codes, node-postgres's own messages; and which do not.
import { describe, expect, it } from 'vitest';
import { PromptuneError } from '../errors/index.js';
import { isConnectionLost, registryUnreachable } from './connection-lost.js';

function failure(message: string, code?: string): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

describe('isConnectionLost', () => {
  it('takes a lost socket, a failover and a retryable name lookup as the database away for now', () => {
    for (const code of [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EHOSTUNREACH',
      'EAI_AGAIN',
      '57P01',
      '57P03',
      '53300',
      '08006',
    ])
      expect(isConnectionLost(failure('lost', code)), code).toBe(true);
    expect(isConnectionLost(failure('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionLost(failure('timeout exceeded when trying to connect'))).toBe(true);
    // a registry query's lost connection as the registry reports it, coded
    const reported = registryUnreachable(failure('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'));
    expect(reported).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', name: 'UnavailableError' });
    expect(reported.message).toContain('ECONNREFUSED 127.0.0.1:5432');
    expect(isConnectionLost(reported)).toBe(true);
  });

  it('leaves a query the database refused, a name that does not resolve, and its own errors alone', () => {
    expect(isConnectionLost(failure('duplicate key value violates unique constraint', '23505'))).toBe(false);
    expect(isConnectionLost(failure('getaddrinfo ENOTFOUND db.example', 'ENOTFOUND'))).toBe(false);
    expect(isConnectionLost(failure('Connection terminated unexpectedly', '23505'))).toBe(false);
    expect(isConnectionLost(new PromptuneError('lost', { code: 'REGISTRY_UNAVAILABLE', hint: 'wait' }))).toBe(
      false,
    );
    expect(isConnectionLost('ECONNRESET')).toBe(false);
    expect(isConnectionLost(null)).toBe(false);
  });
});
