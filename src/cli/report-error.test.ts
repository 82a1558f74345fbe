import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APICallError } from '@ai-sdk/provider';
import { RetryError } from 'ai';
import { NotFoundError, QualityGateError, ValidationError } from '../errors/index.js';
import { asksForJson, exitStatus, reportError } from './report-error.js';

function report(error: unknown, debug = false) {
  const crashDirectory = mkdtempSync(join(tmpdir(), 'promptune-crash-test-'));
  let text = '';
  const status = reportError(error, ['eval', '--task', 'x.yaml'], {
    write: (chunk) => (text += chunk),
    crashDirectory,
    debug,
  });
  return { status, text, crashDirectory };
}

describe('reportError', () => {
  it("reports a model API's failure with a code and what to do, not as a bug in promptune", () => {
    const call = (statusCode: number | undefined, message: string) =>
      new APICallError({
        message,
        url: 'http://127.0.0.1:8090/v1/chat/completions?key=secret',
        requestBodyValues: {},
        statusCode,
        isRetryable: statusCode !== undefined && statusCode >= 500,
      });
    const refused = report(call(401, 'the API key is not valid'));
    expect(refused.status).toBe(1);
    expect(refused.text).toContain(
      'error: the model at 127.0.0.1:8090 answered HTTP 401: the API key is not valid',
    );
    expect(refused.text).toContain('hint: Check the API key the model string reads');
    expect(refused.text).toContain('code: UPSTREAM_ERROR');
    expect(refused.text).not.toContain('secret');
    expect(readdirSync(refused.crashDirectory)).toEqual([]);
    // its retries spent, by the last error; unreachable; a success status whose body does not read
    const failed = call(500, 'upstream exploded');
    const retried = Object.assign(new Error('Failed after 3 attempts. Last error: upstream exploded'), {
      lastError: failed,
    });
    expect(report(Object.assign(failed, {})).text).toContain('Run it again to resume (the same command');
    expect(report(new Error('wrapped', { cause: call(undefined, 'Cannot connect to API') })).text).toContain(
      'code: UPSTREAM_UNREACHABLE',
    );
    expect(report(call(200, 'Invalid JSON response')).text).toContain('code: UPSTREAM_INVALID_RESPONSE');
    // the AI SDK's own RetryError is read by its last error; a plain Error carrying one is no AI SDK error
    const spent = new RetryError({
      message: 'Failed after 3 attempts',
      reason: 'maxRetriesExceeded',
      errors: [failed],
    });
    expect(report(spent).text).toContain('answered HTTP 500: upstream exploded');
    expect(report(retried).status).toBe(70);
  });

  it('writes one JSON object for a script that asked for --json, an internal error with its crash report', () => {
    const crashDirectory = mkdtempSync(join(tmpdir(), 'promptune-crash-test-'));
    let text = '';
    const write = (chunk: string) => (text += chunk);
    const refused = new ValidationError('bad', { code: 'X_BAD', hint: 'Fix it.' });
    expect(reportError(refused, ['eval', '--json'], { write, json: asksForJson(['eval', '--json']) })).toBe(
      1,
    );
    expect(JSON.parse(text)).toEqual({ error: { message: 'bad', hint: 'Fix it.', code: 'X_BAD' } });
    text = '';
    expect(
      reportError(new TypeError('x is undefined'), ['eval'], { write, json: true, crashDirectory }),
    ).toBe(70);
    const { error } = JSON.parse(text) as { error: { code: string; message: string; hint: string } };
    expect(error).toMatchObject({ code: 'INTERNAL', message: 'unexpected failure: x is undefined' });
    expect(error.hint).toContain(join(crashDirectory, readdirSync(crashDirectory)[0]));
    expect(text.trim().split('\n')).toHaveLength(1);
    expect(asksForJson(['eval', '--json=true'])).toBe(true);
    expect(asksForJson(['eval', '--', '--json'])).toBe(false);
    expect(asksForJson(['eval', '--jsonl'])).toBe(false);
  });

  it.each([
    [new ValidationError('bad', { code: 'X_BAD', hint: 'Fix it.' }), exitStatus.error],
    [new NotFoundError('gone', { code: 'X_GONE' }), exitStatus.error],
    [new QualityGateError('score 0.1 is below --min-score 0.5', { code: 'EVAL_BELOW_MIN_SCORE' }), 3],
  ])('prints message, hint and code for %s, no stack', (error, status) => {
    const result = report(error);
    expect(result.status).toBe(status);
    expect(result.text).toContain(`error: ${error.message}\n`);
    expect(result.text).toContain(`code: ${error.code}\n`);
    expect(result.text).not.toMatch(/\n\s+at /);
    expect(readdirSync(result.crashDirectory)).toEqual([]);
  });

  it('reports an unexpected error as a bug with a crash report holding the stack, not on screen', () => {
    const result = report(new TypeError("Cannot read properties of undefined (reading 'x')"));
    expect(result.status).toBe(70);
    expect(result.text).toContain(
      "error: unexpected failure: Cannot read properties of undefined (reading 'x')",
    );
    expect(result.text).toContain('code: INTERNAL');
    expect(result.text).toMatch(/hint: this is a bug in promptune.*attach .*promptune-crash-/);
    expect(result.text).not.toMatch(/\n\s+at /);
    const [file] = readdirSync(result.crashDirectory);
    const crash = readFileSync(join(result.crashDirectory, file), 'utf8');
    expect(crash).toContain('command: promptune eval --task x.yaml');
    expect(crash).toMatch(/TypeError: Cannot read properties[^\n]*\n\s+at /);
  });

  it.each([
    [
      Object.assign(new Error("ENOENT: no such file or directory, open '/x/y.json.1.tmp'"), {
        code: 'ENOENT',
        syscall: 'open',
      }),
      'FILE_NOT_FOUND',
    ],
    [
      Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:8080'), {
        code: 'EADDRINUSE',
      }),
      'PORT_IN_USE',
    ],
    [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      'CONNECTION_FAILED',
    ],
    [
      Object.assign(new Error('file is not a database'), { code: 'SQLITE_NOTADB' }),
      'REGISTRY_NOT_A_DATABASE',
    ],
  ])(
    "reports a failure of the machine around it (%s) as the user's, with a code and no crash report",
    (error, code) => {
      const result = report(error);
      expect(result.status).toBe(1);
      expect(result.text).toContain(`error: ${error.message}\n`);
      expect(result.text).toMatch(new RegExp(`hint: .+\\ncode: ${code}\\n$`));
      expect(readdirSync(result.crashDirectory)).toEqual([]);
    },
  );

  it('prints the stack with PROMPTUNE_DEBUG=1', () => {
    expect(report(new Error('boom'), true).text).toMatch(/Error: boom\n\s+at /);
  });

  it('reports values thrown that are not errors', () => {
    const result = report('a string');
    expect(result.status).toBe(70);
    expect(result.text).toContain('error: unexpected failure: a string');
  });
});
