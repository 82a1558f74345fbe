// The journals a killed run resumes from: results (Journal) and spend (SpendJournal), both append-only
// JSON lines read through schemas. A line cut by a kill is ignored (and cut before the next append); any
// other bad line is a coded error that names the file and line, and leaves the file as it was.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PromptuneError } from '../errors/index.js';
import { Journal } from './journal.js';
import { SpendJournal } from './spend-journal.js';

const folder = () => mkdtempSync(join(tmpdir(), 'promptune-journal-'));
const value = z.object({ score: z.number() });

/** The error `open` throws, and whether the file is unchanged after it. */
function refusal(path: string, open: () => unknown) {
  const before = readFileSync(path, 'utf8');
  let error: unknown;
  try {
    open();
  } catch (caught) {
    error = caught;
  }
  return { error, unchanged: readFileSync(path, 'utf8') === before };
}

describe('Journal', () => {
  it('ignores a line cut by a kill, and cuts it before appending', () => {
    const path = join(folder(), 'run.jsonl');
    writeFileSync(path, '{"key":"a","value":{"score":1}}\n{"key":"b","val');
    const journal = new Journal(path, value);
    expect([journal.size, journal.get('a'), journal.get('b')]).toEqual([1, { score: 1 }, undefined]);
    expect(readFileSync(path, 'utf8')).toContain('"val'); // reading changes nothing
    journal.add('b', { score: 0 });
    expect(readFileSync(path, 'utf8')).toBe(
      '{"key":"a","value":{"score":1}}\n{"key":"b","value":{"score":0}}\n',
    );
    expect(new Journal(path, value).get('b')).toEqual({ score: 0 });
    journal.remove();
    expect(existsSync(path)).toBe(false);
  });

  it.each([
    ['not JSON', '{"key":"a","value":{"score":1}}\n{"key":"b"\n', /line 2 is not valid JSON/],
    ['a value of the wrong shape', '{"key":"a","value":{"score":"high"}}\n', /line 1: field value\.score/],
    ['a line without a key', '{"value":{"score":1}}\n', /line 1: field key/],
    ['an empty line', '{"key":"a","value":{"score":1}}\n\n', /line 2 is not valid JSON/],
  ])('refuses %s with a coded error and leaves the file alone', (_, text, message) => {
    const path = join(folder(), 'run.jsonl');
    writeFileSync(path, text);
    const { error, unchanged } = refusal(path, () => new Journal(path, value));
    expect(PromptuneError.isInstance(error) && error.code).toBe('EVAL_JOURNAL_CORRUPT');
    expect((error as Error).message).toMatch(message);
    expect((error as PromptuneError).hint).toContain(`Delete ${path}`);
    expect(unchanged).toBe(true);
  });
});

describe('SpendJournal', () => {
  it('counts settled calls at their usage and calls killed in flight at their worst case', () => {
    const path = join(folder(), 'run.spend.jsonl');
    const first = new SpendJournal(path);
    const a = first.reserve('student', { inputTokens: 100, outputTokens: 8 });
    first.settle(a, { inputTokens: 10, outputTokens: 2 });
    first.reserve('student', { inputTokens: 90, outputTokens: 8 }); // killed before it returned
    const t = first.reserve('teacher', { inputTokens: 500, outputTokens: 400 });
    first.settle(t, { inputTokens: 50, outputTokens: 20 });
    const resumed = new SpendJournal(path);
    expect(resumed.settled('student')).toEqual({ calls: 1, inputTokens: 10, outputTokens: 2 });
    expect(resumed.unsettled('student')).toEqual({ calls: 1, inputTokens: 90, outputTokens: 8 });
    expect(resumed.settled('teacher')).toEqual({ calls: 1, inputTokens: 50, outputTokens: 20 });
    expect(resumed.unsettled('judge')).toEqual({ calls: 0, inputTokens: 0, outputTokens: 0 });
    // ids go on after the earlier runs' ids, so a settle never matches another run's reservation
    expect(resumed.reserve('student', { inputTokens: 1, outputTokens: 1 })).toBe(4);
  });

  it('records nothing once removed: a call still in flight when its run completed leaves no file behind', () => {
    const path = join(folder(), 'run.spend.jsonl');
    const journal = new SpendJournal(path);
    const inFlight = journal.reserve('student', { inputTokens: 100, outputTokens: 8 });
    journal.remove();
    // settled after the run completed (a budget stopped it mid-batch): it had left a settle without its
    // reserve, which the next run of the task refused as SPEND_JOURNAL_CORRUPT
    journal.settle(inFlight, { inputTokens: 10, outputTokens: 2 });
    journal.reserve('student', { inputTokens: 1, outputTokens: 1 });
    expect(existsSync(path)).toBe(false);
    expect(new SpendJournal(path).settled('student')).toEqual({ calls: 0, inputTokens: 0, outputTokens: 0 });
  });

  it('counts a reservation whose settle line was cut by a kill as unsettled', () => {
    const path = join(folder(), 'run.spend.jsonl');
    writeFileSync(path, '{"reserve":1,"role":"student","inputTokens":40,"outputTokens":4}\n{"settle":1,"inp');
    expect(new SpendJournal(path).unsettled('student')).toEqual({
      calls: 1,
      inputTokens: 40,
      outputTokens: 4,
    });
  });

  const reserve = '{"reserve":1,"role":"student","inputTokens":40,"outputTokens":4}\n';
  it.each([
    [
      'a settle of a call never reserved',
      '{"settle":7,"inputTokens":1,"outputTokens":1}\n',
      /call 7 is settled/,
    ],
    ['a call reserved twice', reserve + reserve, /call 1 is reserved twice/],
    ['negative tokens', '{"reserve":1,"role":"student","inputTokens":-4,"outputTokens":4}\n', /line 1/],
    ['an unknown kind of line', '{"refund":1}\n', /line 1/],
    ['a cut line in the middle', reserve + '{"settle":1,"inp\n' + reserve, /line 2 is not valid JSON/],
  ])('refuses %s with a coded error and leaves the file alone', (_, text, message) => {
    const path = join(folder(), 'run.spend.jsonl');
    writeFileSync(path, text);
    const { error, unchanged } = refusal(path, () => new SpendJournal(path));
    expect(PromptuneError.isInstance(error) && error.code).toBe('SPEND_JOURNAL_CORRUPT');
    expect((error as Error).message).toMatch(message);
    expect((error as PromptuneError).hint).toMatch(/no longer count against its budget/);
    expect(unchanged).toBe(true);
  });
});
