// The status of errors that carry no promptune code: the registry database's connection failures (as
// pg reports them) are a 503 the caller may retry, anything else without a code stays a 500.
import { describe, expect, it } from 'vitest';
import { statusOf } from './errors.js';

/** An error as pg raises it: a message and Postgres's (or the socket's) code. */
const pgError = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});

describe('statusOf', () => {
  it.each([
    ['terminating connection due to administrator command', '57P01'],
    ['the database system is starting up', '57P03'],
    ['connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'],
    ['Connection terminated unexpectedly', undefined],
  ])('answers 503 for the database connection failure "%s"', (message, code) => {
    expect(statusOf(pgError(message, code))).toBe(503);
  });

  it('answers 500 for an error without a code that is no connection failure', () => {
    expect(statusOf(new Error('Cannot read properties of undefined'))).toBe(500);
    expect(statusOf(pgError('duplicate key value violates unique constraint', '23505'))).toBe(500);
  });
});
