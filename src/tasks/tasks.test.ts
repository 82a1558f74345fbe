// Task specs, datasets and templates: the examples load, splits are reproducible, and every kind of
// bad input names its file and line or field, with a hint.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../../test/models.js';
import { PromptuneError } from '../errors/index.js';
import { datasetStats, findDuplicates, readExamples, seededSplit } from './dataset.js';
import { loadTask } from './load-task.js';
import { taskSchemaJson } from './schema.js';
import { loadSplit, targetsOutsideLabels } from './splits.js';
import { renderPrompt } from './template.js';

const directory = mkdtempSync(join(tmpdir(), 'promptune-tasks-'));
const examples = join(repositoryRoot, 'examples');

function write(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

function caught(run: () => unknown): PromptuneError {
  try {
    run();
  } catch (error) {
    expect(PromptuneError.isInstance(error)).toBe(true);
    expect((error as PromptuneError).hint).toBeTruthy();
    return error as PromptuneError;
  }
  throw new Error('expected an error');
}

describe('example task specs', () => {
  it.each([
    'name.yaml',
    'animal.yaml',
    'gender.yaml',
    'support-tickets/task.yaml',
    'contact-extraction/task.yaml',
    'short-summaries/task.yaml',
  ])('%s loads with its splits', (file) => {
    const task = loadTask(join(examples, file));
    const sizes = (['train', 'dev', 'test'] as const).map((split) => loadSplit(task, split).length);
    expect(Math.min(...sizes)).toBeGreaterThan(0);
    const [example] = loadSplit(task, 'dev');
    expect(renderPrompt(task.spec, example.fields)).toContain(
      String(Object.values(example.fields)[0]).slice(0, 20),
    );
  });

  it('the shared tasks have the sizes their README gives', () => {
    const task = loadTask(join(examples, 'animal.yaml'));
    expect([
      loadSplit(task, 'train').length,
      loadSplit(task, 'dev').length,
      loadSplit(task, 'test').length,
    ]).toEqual([512, 128, 256]);
  });

  it('renders demos before the example', () => {
    const task = loadTask(join(examples, 'support-tickets/task.yaml'));
    expect(renderPrompt(task.spec, { ticket: 'Refund please' })).toBe(
      'Ticket: My invoice shows the wrong amount.\nCategory (billing, technical, account or shipping): billing\n\nTicket: Refund please\nCategory (billing, technical, account or shipping):',
    );
  });

  it('schemas/task.schema.json is current (npm run schema)', () => {
    expect(readFileSync(join(repositoryRoot, 'schemas', 'task.schema.json'), 'utf8')).toBe(taskSchemaJson());
  });
});

describe('bad task specs', () => {
  it('a YAML syntax error names the line', () => {
    const path = write('broken.yaml', 'name: broken\nprompt:\n  template: "{{input}}\n  oops: [\n');
    const error = caught(() => loadTask(path));
    expect(error.code).toBe('TASK_SPEC_SYNTAX');
    expect(error.message).toMatch(/broken\.yaml:\d+/);
  });
  it('a wrong field names the field', () => {
    const path = write(
      'wrong.yaml',
      'name: wrong\nprompt:\n  template: "{{input}}"\ngeneration:\n  temperature: -1\n',
    );
    const error = caught(() => loadTask(path));
    expect(error.code).toBe('TASK_SPEC_INVALID');
    expect(error.message).toContain('generation.temperature');
  });
  it('an unknown metric names the field', () => {
    const path = write(
      'metric.yaml',
      'name: metric\nprompt:\n  template: "{{input}}"\nmetrics:\n  - name: vibes\n',
    );
    const error = caught(() => loadTask(path));
    expect(error.message).toContain('metrics.0.name');
  });
  it('a template placeholder that is not an input field', () => {
    const path = write('template.yaml', 'name: template\nprompt:\n  template: "{{question}}"\n');
    const error = caught(() => loadTask(path));
    expect(error.code).toBe('TEMPLATE_UNKNOWN_VARIABLE');
    expect(error.message).toContain('{{question}}');
  });
  it('a missing spec file', () => {
    expect(caught(() => loadTask(join(directory, 'nope.yaml'))).code).toBe('TASK_NOT_FOUND');
  });
});

describe('datasets', () => {
  const shape = { inputFields: ['input'], targetField: 'target' };
  it('a bad JSONL line is named with its line number', () => {
    const path = write('bad.jsonl', '{"input": "a", "target": "b"}\n\n{"input": "c", "target": \n');
    const error = caught(() => readExamples(path, shape));
    expect(error.code).toBe('DATASET_SYNTAX');
    expect(error.message).toContain('bad.jsonl:3');
  });
  it('a missing field and an empty target are named with their lines', () => {
    expect(
      caught(() =>
        readExamples(
          write('missing.jsonl', '{"input": "a", "target": "b"}\n{"text": "c", "target": "d"}\n'),
          shape,
        ),
      ).message,
    ).toContain('missing.jsonl:2: missing field "input"');
    expect(
      caught(() => readExamples(write('empty.jsonl', '{"input": "a", "target": ""}\n'), shape)).message,
    ).toContain('empty.jsonl:1');
  });
  it('CSV files with a header row, and their errors', () => {
    const rows = readExamples(
      write('ok.csv', 'input,target\n"hello, world",greeting\nbye,farewell\n'),
      shape,
    );
    expect(rows.map((row) => [row.fields.input, row.target, row.line])).toEqual([
      ['hello, world', 'greeting', 2],
      ['bye', 'farewell', 3],
    ]);
    expect(
      caught(() => readExamples(write('bad.csv', 'input,target\n"unclosed,greeting\n'), shape)).code,
    ).toBe('DATASET_SYNTAX');
    // without a header its first example names the columns: the hint says so
    const headless = caught(() =>
      readExamples(write('headless.csv', 'hello,greeting\nbye,farewell\n'), shape),
    );
    expect(headless.message).toContain('headless.csv:2: missing field "input"');
    expect(headless.hint).toContain(
      'The first line of a .csv file is its header, naming the columns (here: "hello", "greeting"): begin the file with input,target',
    );
  });
  it('seeded splits are reproducible and partition the data', () => {
    const rows = readExamples(join(examples, 'support-tickets/tickets.jsonl'), {
      inputFields: ['ticket'],
      targetField: 'category',
    });
    const first = seededSplit(rows, { train: 2, dev: 1, test: 1 }, 3);
    const again = seededSplit(rows, { train: 2, dev: 1, test: 1 }, 3);
    expect(first).toEqual(again);
    expect(first.train.length + first.dev.length + first.test.length).toBe(rows.length);
    expect(new Set([...first.train, ...first.dev, ...first.test].map((row) => row.id)).size).toBe(
      rows.length,
    );
    expect(seededSplit(rows, { train: 2, dev: 1, test: 1 }, 4).train).not.toEqual(first.train);
  });
  it('finds duplicates and conflicting labels, and computes stats', () => {
    const rows = readExamples(
      write(
        'dupes.jsonl',
        [
          '{"input":"x","target":"a"}',
          '{"input":"x","target":"b"}',
          '{"input":"y","target":"a"}',
          '{"input":"y","target":"a"}',
        ].join('\n'),
      ),
      shape,
    );
    expect(findDuplicates(rows)).toEqual([
      { lines: [1, 2], conflicting: true },
      { lines: [3, 4], conflicting: false },
    ]);
    const stats = datasetStats(rows);
    expect(stats).toMatchObject({ size: 4, labels: { a: 3, b: 1 }, duplicates: 2, conflictingDuplicates: 1 });
  });
});

describe('targetsOutsideLabels', () => {
  it("finds a label task's targets that are none of its labels, trimmed and in any case", () => {
    const gender = loadTask(join(repositoryRoot, 'examples', 'gender.yaml'));
    const [girl, boy, other] = loadSplit(gender, 'dev');
    const examples = [
      girl,
      { ...boy, target: 'BOY ' }, // a label all the same
      { ...other, line: 3, target: ' dog' },
      { ...other, line: 4, target: 1 },
    ];
    expect(targetsOutsideLabels(gender.spec, examples).map((example) => example.line)).toEqual([3, 4]);
    // a label spelt decomposed (e + U+0301) is the composed one
    const accented = { ...gender.spec, output: { ...gender.spec.output, labels: ['café', 'thé'] } };
    expect(targetsOutsideLabels(accented as typeof gender.spec, [{ ...girl, target: 'cafe\u0301' }])).toEqual(
      [],
    );
    // a text task has no labels to be outside of
    const name = loadTask(join(repositoryRoot, 'examples', 'name.yaml'));
    expect(targetsOutsideLabels(name.spec, examples)).toEqual([]);
  });
});
