// What a dataset file may look like and still read the same (a BOM, CRLF, blank lines, JSONL or CSV),
// what it may not (invalid UTF-8, records that are not objects, structured values where text is
// expected), and where a JSON task spec stops being JSON, as line and column.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError, PromptuneError } from '../errors/index.js';
import { readExamples, type ExampleShape } from './dataset.js';
import { jsonErrorOffset, lineAndColumn } from './json-position.js';
import { loadTask } from './load-task.js';

const directory = mkdtempSync(join(tmpdir(), 'promptune-encoding-'));
const shape: ExampleShape = {
  inputFields: ['input'],
  targetField: 'target',
  textFields: ['input', 'target'],
};

function write(name: string, content: string | Uint8Array): string {
  const path = join(directory, name);
  writeFileSync(path, content);
  return path;
}

function caught(run: () => unknown): PromptuneError {
  try {
    run();
  } catch (error) {
    expect(PromptuneError.isInstance(error), String(error)).toBe(true);
    expect((error as PromptuneError).hint).toBeTruthy();
    return error as PromptuneError;
  }
  throw new Error('expected an error');
}

const bom = '\uFEFF';
const jsonl = ['{"input": "café", "target": "a"}', '{"input": "b", "target": "c"}'];

describe('dataset files that read the same', () => {
  it.each([
    ['plain JSONL', 'plain.jsonl', jsonl.join('\n') + '\n', [1, 2]],
    ['a UTF-8 BOM', 'bom.jsonl', bom + jsonl.join('\n') + '\n', [1, 2]],
    ['CRLF line endings', 'crlf.jsonl', jsonl.join('\r\n') + '\r\n', [1, 2]],
    ['an empty line in the middle', 'gap.jsonl', `${jsonl[0]}\n\n  \n${jsonl[1]}`, [1, 4]],
    ['CSV with a BOM and CRLF', 'bom.csv', `${bom}input,target\r\ncafé,a\r\nb,c\r\n`, [2, 3]],
    ['CSV with an empty line', 'gap.csv', 'input,target\ncafé,a\n\nb,c\n', [2, 4]],
  ])('%s', (_case, name, content, lines) => {
    const rows = readExamples(write(name, content), shape);
    expect(rows.map((row) => [row.fields.input, row.target])).toEqual([
      ['café', 'a'],
      ['b', 'c'],
    ]);
    expect(rows.map((row) => row.line)).toEqual(lines);
  });

  it('refuses a lone surrogate escape, naming the line and field; a whole pair reads', () => {
    const lone = write('lone.jsonl', `${jsonl[0]}\n{"input": "x\\ud800y", "target": "c"}\n`);
    const error = caught(() => readExamples(lone, shape));
    expect(DatasetError.isInstance(error)).toBe(true);
    expect(error.code).toBe('DATASET_SYNTAX');
    expect(error.message).toBe(
      `${lone}:2: field input holds a lone surrogate (half of a character, such as \\ud800)`,
    );
    const low = write('low.jsonl', '{"input": "a", "target": "\\udc00"}\n');
    expect(caught(() => readExamples(low, shape)).message).toContain('field target holds a lone surrogate');
    const pair = write('pair.jsonl', '{"input": "\\ud83d\\udc4d", "target": "a"}\n');
    expect(readExamples(pair, shape)[0].fields.input).toBe('👍');
  });

  it('numbers and booleans count as text; a task without textFields keeps structured inputs', () => {
    const path = write(
      'scalars.jsonl',
      '{"input": 12, "target": true}\n{"input": {"a": 1}, "target": "x"}\n',
    );
    expect(() => readExamples(path, shape)).toThrow(/scalars\.jsonl:2: field "input" is an object/);
    const rows = readExamples(path, { inputFields: ['input'], targetField: 'target' });
    expect(rows.map((row) => row.fields.input)).toEqual([12, { a: 1 }]);
  });
});

describe('dataset files that are refused', () => {
  const latin1 = Buffer.from('{"input": "caf\xe9", "target": "a"}\n', 'latin1');
  it.each([
    [
      'invalid UTF-8 on line 3 (JSONL)',
      'latin1.jsonl',
      Buffer.concat([Buffer.from(jsonl.join('\n') + '\n'), latin1]),
      'DATASET_ENCODING',
      ':3:',
    ],
    [
      'invalid UTF-8 on line 2 (CSV)',
      'latin1.csv',
      Buffer.concat([Buffer.from('input,target\n'), Buffer.from('caf\xe9,a\n', 'latin1')]),
      'DATASET_ENCODING',
      ':2:',
    ],
    [
      'a cut multi-byte character',
      'cut.jsonl',
      Buffer.from('{"input": "caf\xc3", "target": "a"}\n', 'latin1'),
      'DATASET_ENCODING',
      ':1:',
    ],
    [
      'a line that is an array',
      'array.jsonl',
      `${jsonl[0]}\n["input", "target"]\n`,
      'DATASET_RECORD',
      ':2: expected an object, found an array',
    ],
    [
      'a line that is a string',
      'string.jsonl',
      `"just text"\n`,
      'DATASET_RECORD',
      ':1: expected an object, found a string',
    ],
    [
      'a line that is null',
      'null.jsonl',
      `${jsonl[0]}\nnull\n`,
      'DATASET_RECORD',
      ':2: expected an object, found null',
    ],
    [
      'a target that is an object',
      'object.jsonl',
      `{"input": "a", "target": {"label": "b"}}\n`,
      'DATASET_FIELD_TYPE',
      ':1: field "target" is an object',
    ],
    [
      'an input that is an array',
      'list.jsonl',
      `{"input": ["a"], "target": "b"}\n`,
      'DATASET_FIELD_TYPE',
      ':1: field "input" is an array',
    ],
    [
      'a line nested 200 levels deep',
      'deep.jsonl',
      `${jsonl[0]}\n{"input": "a", "target": "b", "x": ${'['.repeat(200)}${']'.repeat(200)}}\n`,
      'DATASET_SYNTAX',
      ':2 nests more than 128',
    ],
    ['a BOM in the middle', 'bom-middle.jsonl', `${jsonl[0]}\n${bom}${jsonl[1]}\n`, 'DATASET_SYNTAX', ':2'],
    ['only blank lines', 'blank.jsonl', '\n\r\n  \n', 'DATASET_EMPTY', 'has no examples'],
  ])('%s', (_case, name, content, code, where) => {
    const path = write(name, content);
    const error = caught(() => readExamples(path, shape));
    expect(DatasetError.isInstance(error)).toBe(true);
    expect(error.code).toBe(code);
    expect(error.message).toContain(path);
    expect(error.message).toContain(where);
  });
});

describe('where JSON stops being JSON', () => {
  it.each([
    ['{"a": 1}', -1],
    ['{"a": }', 6],
    ['{"a": 1,}', 8],
    ['{\n  "a": 1\n  "b": 2\n}', 13],
    ['{"a": "x', 8],
    ['[1, 2', 5],
    ['{"a": tru}', 6],
    ['{"a": "\\q"}', 8],
    ['{"a": 01}', 7],
    ['{} {}', 3],
    ['', 0],
  ])('%j: offset %i', (text, offset) => {
    expect(jsonErrorOffset(text)).toBe(offset);
    // JSON.parse agrees on whether the text is JSON
    if (offset < 0) expect(() => JSON.parse(text)).not.toThrow();
    else expect(() => JSON.parse(text)).toThrow();
  });

  it('a JSON task spec names the line and column of a syntax error', () => {
    const path = write(
      'spec.json',
      '{\n  "name": "x",\n  "prompt": { "template": "{{input}}" }\n  "input": {}\n}\n',
    );
    const error = caught(() => loadTask(path));
    expect(error.code).toBe('TASK_SPEC_SYNTAX');
    expect(error.message).toContain(`${path}:4:3: not valid JSON`);
    expect(lineAndColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });

  it('a YAML task spec names the line and column, and invalid UTF-8 the line', () => {
    const yaml = caught(() => loadTask(write('spec.yaml', 'name: x\nprompt:\n  template: [\n')));
    expect(yaml.message).toMatch(/spec\.yaml:\d+:\d+: /);
    const bytes = Buffer.concat([Buffer.from('name: x\n'), Buffer.from('prompt: caf\xe9\n', 'latin1')]);
    const encoding = caught(() => loadTask(write('latin1.yaml', bytes)));
    expect(encoding.code).toBe('TASK_SPEC_SYNTAX');
    expect(encoding.message).toContain('latin1.yaml:2: the line is not valid UTF-8');
  });
});
