// What the evaluation layer reads from disk goes through schemas: price tables (--prices), JSON reports
// (compare), cached responses. Each bad input is a coded error with a hint that names the file and the
// field; and prices apply to every provider, openai-compatible models included.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { PromptuneError } from '../errors/index.js';
import { cutText, escapeHtml } from './html.js';
import { callCost, defaultPrices, readPrices } from './prices.js';
import { readReport } from './report-file.js';
import { renderReportHtml } from './report-html.js';
import { summarize } from './report.js';
import { ResponseCache } from './response-cache.js';

const folder = () => mkdtempSync(join(tmpdir(), 'promptune-files-'));

/** Writes `text` to a fresh file and returns what `read` throws for it. */
function thrownFor(text: string | undefined, read: (path: string) => unknown): PromptuneError {
  const path = join(folder(), 'input.json');
  if (text !== undefined) writeFileSync(path, text);
  try {
    read(path);
  } catch (error) {
    if (PromptuneError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('no error was thrown');
}

describe('prices', () => {
  const compatible = {
    name: 'openai-compatible:http://127.0.0.1:8080/v1#llama',
    provider: 'openai-compatible',
    modelId: 'llama',
  };
  it.each([
    [
      'a whole-string entry prices an openai-compatible model',
      compatible,
      { [compatible.name]: { input: 1, output: 2 } },
      14e-6,
    ],
    ['so does an entry for its model id', compatible, { llama: { input: 1, output: 0 } }, 10e-6],
    [
      'the whole string wins over the id',
      compatible,
      { [compatible.name]: { input: 0, output: 1 }, llama: { input: 9, output: 9 } },
      2e-6,
    ],
    ['a server on this machine without an entry is free', compatible, defaultPrices, 0],
    [
      'so is one named localhost',
      { ...compatible, name: 'openai-compatible:http://localhost:8000/v1#llama' },
      defaultPrices,
      0,
    ],
    [
      'a server elsewhere without an entry may be a paid API: its price is unknown, not $0',
      { ...compatible, name: 'openai-compatible:https://api.together.xyz/v1#llama' },
      defaultPrices,
      undefined,
    ],
    [
      'its endpoint, when given, says where it is',
      { provider: 'openai-compatible', modelId: 'llama', endpoint: 'https://openrouter.ai/api/v1' },
      defaultPrices,
      undefined,
    ],
    [
      'a server elsewhere with an entry costs that',
      { ...compatible, name: 'openai-compatible:https://api.groq.com/openai/v1#llama' },
      { 'openai-compatible:https://api.groq.com/openai/v1#llama': { input: 0, output: 1 } },
      2e-6,
    ],
    ['a local model without an entry is free', { provider: 'local', modelId: '/m.gguf' }, defaultPrices, 0],
    [
      'a hosted model without a price is unknown',
      { provider: 'openai', modelId: 'o9' },
      defaultPrices,
      undefined,
    ],
    ['a built-in price', { provider: 'openai', modelId: 'gpt-4o' }, defaultPrices, (10 * 2.5 + 2 * 10) / 1e6],
    [
      'a model named like an Object method is not priced by it',
      { provider: 'openai', modelId: 'constructor' },
      {},
      undefined,
    ],
  ])('%s', (_, model, prices, cost) => {
    const value = callCost(model, 10, 2, prices);
    if (cost === undefined) expect(value).toBeUndefined();
    else expect(value).toBeCloseTo(cost, 15);
  });

  it('adds a file to the built-in table', () => {
    const path = join(folder(), 'prices.json');
    writeFileSync(path, '{"gpt-4o": {"input": 1, "output": 1}, "mine": {"input": 0.5, "output": 0}}');
    expect(readPrices(path)).toMatchObject({
      'gpt-4o': { input: 1 },
      mine: { input: 0.5 },
      'gpt-4.1': { input: 2 },
    });
  });

  it.each([
    [
      'a truncated file',
      '{"gpt-4o": {"input": 2.5, "out',
      'PRICES_INVALID',
      /price table .* is not valid JSON/,
    ],
    [
      'a price as a string',
      '{"gpt-4o": {"input": "2.5", "output": 10}}',
      'PRICES_INVALID',
      /field gpt-4o\.input: .*expected number/,
    ],
    ['a negative price', '{"m": {"input": -1, "output": 1}}', 'PRICES_INVALID', /field m\.input/],
    ['a missing side', '{"m": {"input": 1}}', 'PRICES_INVALID', /field m\.output/],
    ['a misspelt side', '{"m": {"input": 1, "output": 1, "ouput": 1}}', 'PRICES_INVALID', /field m/],
    ['a list', '[]', 'PRICES_INVALID', /expected record/],
    ['no file', undefined, 'PRICES_NOT_FOUND', /does not exist/],
  ])('refuses %s', (_, text, code, message) => {
    const error = thrownFor(text, readPrices);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.hint).toBeTruthy();
  });
});

describe('JSON reports read back', () => {
  const example = {
    index: 0,
    id: 'a1',
    line: 1,
    fields: { input: 'x' },
    target: 'y',
    outputs: ['y'],
    scores: [1],
    score: 1,
  };
  const report = {
    task: 't',
    split: 'dev',
    model: 'm',
    n: 1,
    repeats: 1,
    score: 1,
    interval: [1, 1],
    examples: [example],
  };
  it('reads a report', () => {
    const path = join(folder(), 'report.json');
    writeFileSync(path, JSON.stringify({ ...report, cost: 0.5 }));
    expect(readReport(path).examples[0].id).toBe('a1');
  });

  it.each([
    ['HTML', '<!doctype html><html></html>', /is not valid JSON/],
    ['a summary without examples', JSON.stringify({ ...report, examples: undefined }), /field examples/],
    [
      'an example without a score',
      JSON.stringify({ ...report, examples: [{ ...example, score: undefined }] }),
      /field examples\.0\.score/,
    ],
    [
      'a line number of 0',
      JSON.stringify({ ...report, examples: [{ ...example, line: 0 }] }),
      /field examples\.0\.line/,
    ],
    ['no model', JSON.stringify({ ...report, model: 5 }), /field model/],
  ])('refuses %s', (_, text, message) => {
    const error = thrownFor(text, readReport);
    expect(error.code).toBe('COMPARE_BAD_REPORT');
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(/--report-json/);
  });
});

describe('the response cache', () => {
  it.each([
    ['not JSON', '{"text": "a", "inp', /is not valid JSON/],
    ['of the wrong shape', '{"text": 3, "inputTokens": 1, "outputTokens": 1, "latencyMs": 1}', /field text/],
  ])('refuses a stored response %s', (_, stored, message) => {
    const path = join(folder(), 'cache.sqlite');
    new ResponseCache(path).close();
    const database = new Database(path);
    database
      .prepare('INSERT INTO responses (key, value, created_at) VALUES (?, ?, ?)')
      .run('k', stored, 'now');
    database.close();
    const cache = new ResponseCache(path);
    const error = thrownFor('', () => cache.get('k'));
    cache.close();
    expect(error.code).toBe('CACHE_CORRUPT');
    expect(error.message).toMatch(message);
    expect(error.hint).toContain(path);
  });
});

describe('HTML text', () => {
  it.each([
    // the cut falls inside what becomes an entity: cut first, then escape, so no entity is split
    ['a'.repeat(8) + '&&&', 10, 'a'.repeat(8) + '&amp;…'],
    ['<b>', 10, '&lt;b&gt;'],
    ['x😀😀', 3, 'x…'],
    ['ab👍🏽cd', 5, 'ab…'], // an emoji and its skin tone are kept whole or left out whole
    ['a\u0000b\u0007c\u007f\td\ne', 100, 'a␀b␇c␡\td\ne'], // controls shown, tab and newline kept
    [{ a: '&' }, 100, '{&quot;a&quot;:&quot;&amp;&quot;}'],
  ])('escapeHtml(%j, %i) is %j', (value, length, expected) => {
    expect(escapeHtml(value, length)).toBe(expected);
    expect(cutText(value, length).length).toBeLessThanOrEqual(length);
  });

  it('the evaluation report cuts an example before escaping it', () => {
    const example = {
      ...{ index: 0, id: 'a', line: 1, fields: { input: 'x' + '&'.repeat(500) }, target: 'y' },
      ...{ outputs: ['<y>'], scores: [0], score: 0, byMetric: [{}], latencyMs: [undefined] },
    };
    const spend = { calls: 1, inputTokens: 1, outputTokens: 1, cost: 0, earlierCalls: 0 };
    const html = renderReportHtml(
      summarize({
        ...{ task: 't', split: 'dev', model: 'm', repeats: 1, examples: [example], calls: 1, cacheHits: 0 },
        ...{ resumed: 0, inputTokens: 1, outputTokens: 1, cost: 0, spend, durationMs: 1, constrained: false },
      }),
    );
    expect(html).not.toMatch(/&(?!amp;|lt;|gt;|quot;|#39;)/); // escaping first would cut 80 entities to 79 and "&amp"
    expect(html).toContain(`<td>x${'&amp;'.repeat(398)}…</td>`);
    expect(html).toContain('<td>&lt;y&gt;</td>');
  });
});
