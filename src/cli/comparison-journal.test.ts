// The compare-methods journal on disk: measurements found again by key, a line cut off by a killed
// process dropped (and the next one written clean), a line edited by hand without its newline kept, and
// any other unreadable line refused with its line number, the file left as it was.
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PromptuneError } from '../errors/index.js';
import { measurementKey, openComparisonJournal } from './comparison-journal.js';
import { sampleMeasurement } from '../../test/measurements.js';
import type { MethodMeasurement } from './method-measurement.js';

const measurement = (trainExamples: number, devAccuracy = 0.5): MethodMeasurement =>
  sampleMeasurement(trainExamples, { devAccuracy });

const journalFile = () => join(mkdtempSync(join(tmpdir(), 'promptune-journal-')), 'nested', 'journal.jsonl');

describe('the compare-methods journal', () => {
  it('keys a measurement by its parts, whatever their order', () => {
    expect(measurementKey({ a: 1, b: { c: 2, d: [3] } })).toBe(measurementKey({ b: { d: [3], c: 2 }, a: 1 }));
    expect(measurementKey({ a: 1 })).not.toBe(measurementKey({ a: 2 }));
    expect(measurementKey({ a: 1, b: undefined })).toBe(measurementKey({ a: 1 }));
  });

  it('finds what a run before it added, the latest line of a key winning', () => {
    const path = journalFile();
    const warnings: string[] = [];
    const first = openComparisonJournal(path, (message) => warnings.push(message));
    const [eight, all] = [measurementKey({ size: 8 }), measurementKey({ size: 32 })];
    expect(first.find(eight)).toBeUndefined();
    first.add(eight, measurement(8, NaN)); // no dev evaluation: NaN, written as null
    first.add(all, measurement(32));
    first.add(all, measurement(32, 0.875)); // measured again (--no-resume)
    const second = openComparisonJournal(path, (message) => warnings.push(message));
    expect(second.find(eight)).toEqual(measurement(8, NaN));
    expect(second.find(all)?.devAccuracy).toBe(0.875);
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(4);
    expect(warnings).toEqual([]);
  });

  it('drops a last line cut off mid-write, and the next line starts clean', () => {
    const path = journalFile();
    const journal = openComparisonJournal(path, () => {});
    journal.add(measurementKey({ size: 8 }), measurement(8));
    appendFileSync(path, '{"key":"0123'); // a process killed while writing
    const warnings: string[] = [];
    const reopened = openComparisonJournal(path, (message) => warnings.push(message));
    expect(warnings).toEqual([`${path}: line 2 was cut off mid-write (a run was killed); dropped`]);
    reopened.add(measurementKey({ size: 32 }), measurement(32));
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line).measurement.trainExamples)).toEqual([8, 32]);
  });

  it('keeps a last line that reads but lost its newline, and appends after it', () => {
    const path = journalFile();
    openComparisonJournal(path, () => {}).add(measurementKey({ size: 8 }), measurement(8));
    writeFileSync(path, readFileSync(path, 'utf8').trimEnd()); // edited by hand
    const journal = openComparisonJournal(path, () => {});
    expect(journal.find(measurementKey({ size: 8 }))?.trainExamples).toBe(8);
    journal.add(measurementKey({ size: 32 }), measurement(32));
    expect(openComparisonJournal(path, () => {}).find(measurementKey({ size: 32 }))?.trainExamples).toBe(32);
  });

  it('refuses a line that does not read anywhere but last, naming it, and changes nothing', () => {
    const path = journalFile();
    const journal = openComparisonJournal(path, () => {});
    journal.add(measurementKey({ size: 8 }), measurement(8));
    journal.add(measurementKey({ size: 32 }), measurement(32));
    const lines = readFileSync(path, 'utf8').split('\n');
    for (const bad of [
      '{"key": 1}',
      'not json',
      JSON.stringify({ ...JSON.parse(lines[0]), measurement: { ...measurement(8), method: 'adapters' } }),
    ]) {
      const text = [bad, lines[1], ''].join('\n');
      writeFileSync(path, text);
      let thrown: unknown;
      try {
        openComparisonJournal(path, () => {});
      } catch (error) {
        thrown = error;
      }
      expect(PromptuneError.isInstance(thrown) && thrown.code, bad).toBe('COMPARE_JOURNAL_INVALID');
      expect((thrown as Error).message).toContain(`${path}: line 1`);
      expect(readFileSync(path, 'utf8')).toBe(text);
    }
  });
});
