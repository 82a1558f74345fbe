// From decisions to data, on a real SQLite registry: corrections checked against each kind of task
// output; an item's target is its decisions' strict majority (a tie, rejections and too few reviews hold
// it back); the split rule is seeded and stable per input; rows keep provenance, skip inputs the base
// version has (a duplicate, or a conflict when its target differs), and a CSV base is carried over.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  putDatasetFiles,
  Registry,
  type ReviewDecision,
  type ReviewDecisionInput,
  type ReviewItem,
} from '../registry/index.js';
import { exampleShape, parseExamples, seededSplit, taskSpec } from '../tasks/index.js';
import { checkCorrection } from './correction-check.js';
import { correctionsToDataset, splitOf } from './corrections-dataset.js';
import { resolveItems } from './resolve-items.js';

const labelTask = taskSpec.parse({
  name: 'animal',
  output: { kind: 'label', labels: [' dog', ' cat'] },
  prompt: { template: '{{input}}' },
});
const jsonTask = taskSpec.parse({
  name: 'extract',
  output: {
    kind: 'json',
    schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
  prompt: { template: '{{input}}' },
});

describe('checkCorrection', () => {
  it('takes text, one of the labels, or JSON of the schema, and refuses the rest with a code', () => {
    const textTask = taskSpec.parse({ name: 'text', prompt: { template: '{{input}}' } });
    expect(checkCorrection(textTask, ' Sue')).toBe(' Sue');
    expect(checkCorrection(labelTask, ' cat')).toBe(' cat');
    // typed without its leading space, the one label it can mean
    expect(checkCorrection(labelTask, 'cat')).toBe(' cat');
    const spaced = taskSpec.parse({
      ...labelTask,
      output: { kind: 'label', labels: [' cat', 'cat ', ' dog'] },
    });
    expect(() => checkCorrection(spaced, 'cat')).toThrow(expect.objectContaining({ code: 'REVIEW_INVALID' }));
    expect(checkCorrection(jsonTask, '{"city": "Oslo"}')).toEqual({ city: 'Oslo' });
    expect(checkCorrection(jsonTask, { city: 'Oslo' })).toEqual({ city: 'Oslo' });
    for (const [spec, value] of [
      [textTask, '  '],
      [textTask, 3],
      [labelTask, 'horse'],
      [jsonTask, '{city'],
      [jsonTask, { town: 'Oslo' }],
    ] as const)
      expect(() => checkCorrection(spec, value)).toThrow(expect.objectContaining({ code: 'REVIEW_INVALID' }));
  });
});

const item = (id: string, output: string | null, reviewsNeeded = 2): ReviewItem => ({
  id,
  queue: 'q',
  traceId: `trace-${id}`,
  reason: 'manual',
  input: { input: `story ${id}` },
  output,
  context: {},
  reviewsNeeded,
  reviewsDone: 0,
  reservedBy: null,
  reservedUntil: null,
  createdAt: 0,
});
const decision = (item: string, reviewer: string, kind: ReviewDecision['decision'], correction?: string) =>
  ({
    item,
    reviewer,
    decision: kind,
    rubric: {},
    at: 10,
    ...(correction && { correction }),
  }) as ReviewDecision;

describe('resolveItems', () => {
  it("takes the strict majority's target and holds back ties, rejections and unfinished items", () => {
    const items = [
      item('a', ' dog and more'),
      item('b', ' dog'),
      item('c', ' dog'),
      item('d', ' dog'),
      item('e', 'a horse'),
      item('f', ' dog', 3),
    ];
    const resolved = resolveItems(labelTask, items, [
      decision('a', 'x', 'approve'), // approving reads the label out of the output
      decision('a', 'y', 'approve'),
      decision('b', 'x', 'approve'),
      decision('b', 'y', 'correct', ' cat'), // a tie
      decision('c', 'x', 'reject'),
      decision('c', 'y', 'reject'),
      decision('d', 'x', 'correct', ' cat'),
      decision('d', 'y', 'skip'), // a skip is no review: d needs another
      decision('e', 'x', 'approve'),
      decision('e', 'y', 'approve'), // nothing to approve: the output names no label
      decision('f', 'x', 'correct', ' cat'),
      decision('f', 'y', 'correct', ' cat'),
      decision('f', 'z', 'approve'),
    ]);
    expect(resolved.map(({ target, held }) => target ?? held)).toEqual([
      ' dog',
      'disagreement',
      'rejected',
      'incomplete',
      'unreadable',
      ' cat',
    ]);
    expect(resolved[5].reviewers).toEqual(['x', 'y', 'z']);
  });

  it("takes the answer of a decision made after an item's ratings when they have no majority", () => {
    const late = (decided: ReviewDecision, firstAt: number) => ({ ...decided, firstAt, at: firstAt });
    // three ways split: one more vote would not make a majority; the admin's settles it
    const resolved = resolveItems(
      labelTask,
      [item('g', ' dog', 3), item('h', ' dog', 2)],
      [
        late(decision('g', 'x', 'approve'), 1),
        late(decision('g', 'y', 'correct', ' cat'), 2),
        late(decision('g', 'z', 'reject'), 3),
        late(decision('g', 'admin', 'correct', ' cat'), 9),
        // a tie with no settlement yet stays held back
        late(decision('h', 'x', 'approve'), 1),
        late(decision('h', 'y', 'correct', ' cat'), 2),
      ],
    );
    expect(resolved.map(({ target, held }) => target ?? held)).toEqual([' cat', 'disagreement']);
  });

  it('holds back an approved free-text answer cut off at its token limit, and takes a correction of it', () => {
    const textTask = taskSpec.parse({ name: 'text', prompt: { template: '{{input}}' } });
    const stopped = (id: string, finishReason: string) => ({
      ...item(id, ' Ben was happy and Ben f'),
      context: { finishReason },
    });
    const items = [stopped('a', 'length'), stopped('b', 'length'), stopped('c', 'stop')];
    const resolved = resolveItems(textTask, items, [
      decision('a', 'x', 'approve'),
      decision('a', 'y', 'approve'),
      decision('b', 'x', 'correct', ' Ben'),
      decision('b', 'y', 'correct', ' Ben'),
      decision('c', 'x', 'approve'), // stopped by a stop sequence: the whole answer, as before
      decision('c', 'y', 'approve'),
    ]);
    expect(resolved.map(({ target, held }) => target ?? held)).toEqual([
      'cut-off',
      ' Ben',
      ' Ben was happy and Ben f',
    ]);
    // a label read off a cut-off answer is still the label
    const label = resolveItems(
      labelTask,
      [{ ...item('d', ' dog and'), context: { finishReason: 'length' } }],
      [decision('d', 'x', 'approve'), decision('d', 'y', 'approve')],
    );
    expect(label[0].target).toBe(' dog');
  });
});

describe('splitOf', () => {
  it('sends an input to the same split every time, in about the shares asked', () => {
    const counts: Record<string, number> = {};
    for (let index = 0; index < 2000; index++) {
      const split = splitOf({ input: `story ${index}` }, { train: 0.8, dev: 0.2 }, 7);
      expect(splitOf({ input: `story ${index}` }, { train: 0.8, dev: 0.2 }, 7)).toBe(split);
      counts[split] = (counts[split] ?? 0) + 1;
    }
    expect(Object.keys(counts).sort()).toEqual(['dev', 'train']);
    expect(counts.train / 2000).toBeGreaterThan(0.76);
    expect(counts.train / 2000).toBeLessThan(0.84);
    expect(splitOf({ input: 'x' }, { train: 0, test: 1 })).toBe('test');
  });
});

describe('correctionsToDataset', () => {
  it('adds agreed rows with provenance, skips duplicates and conflicts, and carries a CSV base over', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'promptune-corrections-'));
    const registry = await Registry.open({ path: join(folder, 'r.sqlite') });
    try {
      await registry.putTask(labelTask);
      writeFileSync(join(folder, 'train.csv'), 'input,target\nstory a, dog\nstory b, dog\n');
      await putDatasetFiles(
        registry,
        'animal',
        { train: join(folder, 'train.csv') },
        exampleShape(labelTask),
        'ada',
      );
      await registry.review.createQueue({
        name: 'q',
        task: 'animal',
        actor: 'ada',
        config: { reviewsPerItem: 1 },
      });
      const added = await registry.review.addItems('q', [
        // already in the data, sent again with a trailing newline: the same input
        { traceId: 'trace-a', input: { input: 'story a\n' }, output: ' dog' },
        // in the data as dog, sent again with its spaces doubled
        { traceId: 'trace-b', input: { input: '  story  b' }, output: ' dog' },
        { traceId: 'trace-c', input: { input: 'story c' }, output: ' dog' },
        { traceId: 'trace-d', input: 'story d', output: ' dog' }, // a one-field task's input as text
        { traceId: 'trace-e', input: { story: 'e' }, output: ' dog' }, // not the task's fields
      ]);
      // each reviewer takes the next item and decides it, as the API and the terminal do
      const review = async (reviewer: string, input: ReviewDecisionInput, at: number, expected: string) => {
        expect((await registry.review.next('q', reviewer, at))?.id).toBe(expected);
        await registry.review.decide(expected, reviewer, input, at);
      };
      await review('x', { decision: 'approve' }, 1000, added[0].id);
      await review('x', { decision: 'correct', correction: ' cat' }, 1000, added[1].id);
      await review('x', { decision: 'correct', correction: ' cat' }, 2000, added[2].id);
      await review('y', { decision: 'approve' }, 3000, added[3].id);
      await review('y', { decision: 'approve' }, 3000, added[4].id);
      const result = await correctionsToDataset(registry, 'q', { actor: 'ada', splits: { train: 1 } });
      expect(result).toMatchObject({
        version: { number: 2, parent: 1, source: 'review:q', actor: 'ada', details: { added: { train: 2 } } },
        added: { train: 2 },
        duplicates: 1,
        held: [
          { item: added[1].id, reason: 'conflict' },
          { item: added[4].id, reason: 'unreadable-input' },
        ],
      });
      const stored = (await registry.listDatasets('animal')).find(
        (dataset) => dataset.id === result.version.splits.train,
      )!;
      const bytes = await registry.getBlob(stored.blob);
      const examples = parseExamples(bytes, 'train.jsonl', exampleShape(labelTask));
      expect(examples.map((example) => [example.fields.input, example.target])).toEqual([
        ['story a', ' dog'],
        ['story b', ' dog'],
        ['story c', ' cat'],
        ['story d', ' dog'],
      ]);
      const lines = new TextDecoder().decode(bytes).trim().split('\n');
      expect(JSON.parse(lines[2])).toEqual({
        input: 'story c',
        target: ' cat',
        provenance: {
          queue: 'q',
          item: added[2].id,
          trace: 'trace-c',
          reviewers: ['x'],
          decidedAt: new Date(2000).toISOString(),
        },
      });
      await expect(correctionsToDataset(registry, 'q', { actor: 'ada', base: 9 })).rejects.toMatchObject({
        code: 'DATASET_VERSION_NOT_FOUND',
      });
      await expect(
        correctionsToDataset(registry, 'q', { actor: 'ada', splits: { train: -1 } }),
      ).rejects.toMatchObject({ code: 'REVIEW_INVALID' });
    } finally {
      await registry.close();
    }
  });

  it('starts from the latest stored file of each split when the task has no dataset version yet', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'promptune-corrections-'));
    const registry = await Registry.open({ path: join(folder, 'r.sqlite') });
    try {
      await registry.putTask(labelTask);
      await registry.review.createQueue({ name: 'q', task: 'animal', actor: 'ada' });
      // no data at all: refused with what to do
      await expect(correctionsToDataset(registry, 'q', { actor: 'ada' })).rejects.toMatchObject({
        code: 'DATASET_VERSION_NOT_FOUND',
      });
      // data stored the way a registry from before dataset versions (or a bundle import) has it
      const put = (split: string, text: string) =>
        registry.putDataset({
          task: 'animal',
          split,
          name: `${split}.jsonl`,
          bytes: new TextEncoder().encode(text),
          rows: 1,
        });
      await put('train', '{"input": "old", "target": " dog"}\n');
      const train = await put('train', '{"input": "new", "target": " dog"}\n');
      const dev = await put('dev', '{"input": "dev", "target": " cat"}\n');
      const [item] = await registry.review.addItems('q', [{ input: { input: 'story' }, output: ' cat' }]);
      await registry.review.next('q', 'x');
      await registry.review.decide(item.id, 'x', { decision: 'approve' });
      const result = await correctionsToDataset(registry, 'q', { actor: 'ada', splits: { dev: 1 } });
      expect(result.version).toMatchObject({ number: 2, parent: 1, splits: { train } });
      expect(await registry.datasetVersions.get('animal', 1)).toMatchObject({
        splits: { train, dev },
        source: 'files',
        message: 'the latest stored file of each split',
      });
    } finally {
      await registry.close();
    }
  });

  it("turns a base of one file split by ratios into the task's own train, dev and test files", async () => {
    const folder = mkdtempSync(join(tmpdir(), 'promptune-corrections-'));
    const registry = await Registry.open({ path: join(folder, 'r.sqlite') });
    try {
      const spec = taskSpec.parse({
        name: 'animal',
        output: { kind: 'label', labels: [' dog', ' cat'] },
        prompt: { template: '{{input}}' },
        data: { file: 'all.jsonl', split: { seed: 3, train: 0.5, dev: 0.25, test: 0.25 } },
      });
      await registry.putTask(spec);
      const rows = Array.from({ length: 20 }, (_, index) => ({ input: `story ${index}`, target: ' dog' }));
      writeFileSync(join(folder, 'all.jsonl'), rows.map((row) => JSON.stringify(row)).join('\n'));
      await putDatasetFiles(
        registry,
        'animal',
        { file: join(folder, 'all.jsonl') },
        exampleShape(spec),
        'ada',
      );
      await registry.review.createQueue({ name: 'q', task: 'animal', actor: 'ada' });
      const [item] = await registry.review.addItems('q', [{ input: { input: 'new story' }, output: ' cat' }]);
      await registry.review.next('q', 'x');
      await registry.review.decide(item.id, 'x', { decision: 'approve' });
      const result = await correctionsToDataset(registry, 'q', { actor: 'ada', splits: { train: 1 } });
      expect(Object.keys(result.version.splits).sort()).toEqual(['dev', 'test', 'train']);
      const stored = await registry.listDatasets('animal');
      const read = async (split: string) =>
        parseExamples(
          await registry.getBlob(stored.find((dataset) => dataset.id === result.version.splits[split])!.blob),
          `${split}.jsonl`,
          exampleShape(spec),
        ).map((example) => example.fields.input);
      // the splits the task itself reads from the file, and the new row in train
      const expected = seededSplit(
        parseExamples(
          new TextEncoder().encode(rows.map((row) => JSON.stringify(row)).join('\n')),
          'all.jsonl',
          exampleShape(spec),
        ),
        { train: 0.5, dev: 0.25, test: 0.25 },
        3,
      );
      expect(await read('train')).toEqual([
        ...expected.train.map((example) => example.fields.input),
        'new story',
      ]);
      expect(await read('dev')).toEqual(expected.dev.map((example) => example.fields.input));
      expect(await read('test')).toEqual(expected.test.map((example) => example.fields.input));
    } finally {
      await registry.close();
    }
  });
});
