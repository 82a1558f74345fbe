// `traces ls` names the version that answered: during a canary both arms are asked for by one label,
// and only the version tells their traces apart.
import { describe, expect, it } from 'vitest';
import type { TraceRecord } from '../registry/index.js';
import { traceCells } from './trace-row.js';

const trace = (version: string | null, label: string | null): TraceRecord => ({
  id: 'chatcmpl-1',
  at: Date.UTC(2026, 11, 7),
  source: 'service',
  run: null,
  operation: 'chat',
  model: label ? `gender@${label}` : 'gender',
  task: 'gender',
  version,
  label,
  keyId: null,
  user: null,
  input: { messages: [{ role: 'user', content: 'He saw a shiny rock.' }] },
  output: ' boy',
  inputTokens: 8,
  outputTokens: 1,
  cost: 0,
  latencyMs: 5,
  firstTokenMs: null,
  finishReason: 'stop',
  status: 200,
  errorCode: null,
  checks: null,
});

describe('traceCells', () => {
  it("names each canary arm's version beside the label it was asked by", () => {
    const numbers = new Map([
      ['aaaa1111', 2],
      ['bbbb2222', 5],
    ]);
    expect(traceCells(trace('aaaa1111', 'production'), numbers)[2]).toBe('gender@2 (production)');
    expect(traceCells(trace('bbbb2222', 'production'), numbers)[2]).toBe('gender@5 (production)');
    expect(traceCells(trace('bbbb2222', null), numbers)[2]).toBe('gender@5');
    expect(traceCells(trace('cccc3333dddd', null), numbers)[2]).toBe('gender@cccc3333');
    expect(traceCells(trace(null, 'production'), numbers)[2]).toBe('gender@production');
  });
});

describe('traceCells text columns', () => {
  const withInput = (content: string): TraceRecord => ({
    ...trace('aaaa1111', null),
    input: { messages: [{ role: 'user', content }] },
  });

  it('cuts a long input between characters, never inside an emoji or a letter with its accent', () => {
    const numbers = new Map([['aaaa1111', 1]]);
    // the 40-unit cut falls inside each of these: a surrogate pair, a skin-tone sequence, a ZWJ family, e + accent
    for (const tail of ['👍 more', '👍🏽 more', '👨‍👩‍👧 more', 'e\u0301 more']) {
      const cell = traceCells(withInput(`${'x'.repeat(38)}${tail}`), numbers)[7];
      expect(cell).toBe(JSON.stringify(`${'x'.repeat(38)}…`));
      expect(JSON.parse(cell)).not.toMatch(/[\uD800-\uDFFF]/);
    }
    // one that fits is kept whole
    expect(traceCells(withInput(`${'x'.repeat(37)}👍`), numbers)[7]).toBe(
      JSON.stringify(`${'x'.repeat(37)}👍`),
    );
  });
});
