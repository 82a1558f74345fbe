// Multitask prompt tuning against the real PEFT (fixture: tools/reference/peft_multitask.py, PEFT 0.21 on
// stories260K, 4 virtual tokens, 2 tasks of rank 2, the rows belonging to tasks 0, 1, 0): the tasks' prompts
// give PEFT's logits and loss, and the gradients of the shared prompt and of both tasks' factors; ten AdamW
// steps follow PEFT's losses and end on its parameters. PEFT's adapter loads (each task's prompt), a
// transfer starts where PEFT's AVERAGE_SOURCE_TASKS, EXACT_SOURCE_TASK and ONLY_SOURCE_SHARED start, and
// the adapter promptune writes reads back equal; with PROMPTUNE_PEFT_PYTHON, PEFT loads it too.
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maxAbsDiff, stories } from '../../test/models.js';
import { patchSafetensorsFloat } from '../../test/readers-helpers.js';
import {
  peftLogits,
  readPeftFixture,
  rowLogitsDifference,
  type FixtureBatch,
} from '../../test/peft-fixtures.js';
import { loadModel, seededRandom } from '../engine/index.js';
import { multitaskTaskId, readMultitaskFolder, saveMultitaskAdapter } from './multitask-adapter.js';
import {
  packMultitask,
  taskPrompt,
  transferMultitask,
  viewMultitask,
  type MultitaskPrompt,
} from './multitask-prompt.js';
import { multitaskTrainable } from './multitask-training.js';
import { adamStep, optimizerState } from './optimizer.js';
import { buildBatch, type TokenizedExample } from './sequences.js';
import { checkAdapterFiles, loadTrainedAdapter } from './trained-adapter.js';

const {
  folder: fixture,
  reference,
  tensors: expected,
} = readPeftFixture<
  FixtureBatch & {
    virtualTokens: number;
    tasks: number;
    ranks: number;
    taskIds: number[];
    sourceTask: number;
    loss: number;
    losses: number[];
  }
>('peft-multitask');

describe('multitask prompt tuning against PEFT', async () => {
  const { model } = await loadModel(stories.huggingFace);
  const { hiddenSize: C, vocabularySize: V } = model.config;
  const { virtualTokens: P, tasks, ranks } = reference;
  const shape = { virtualTokens: P, hiddenSize: C, tasks, ranks };
  const packed = (prefix: string, tasksIn = tasks): MultitaskPrompt =>
    packMultitask(
      {
        shared: expected.get(`${prefix}.embedding.weight`)!,
        taskColumns: expected.get(`${prefix}.prefix_task_cols`)!,
        taskRows: expected.get(`${prefix}.prefix_task_rows`)!,
      },
      { ...shape, tasks: tasksIn },
      'peft',
    );
  const examples = (taskIds: number[]): TokenizedExample[] =>
    reference.rows.map((row, b) => ({
      inputIds: row.slice(0, row.length - reference.targetTokens),
      targetIds: row.slice(row.length - reference.targetTokens),
      task: taskIds[b],
    }));
  const rows = examples(reference.taskIds);

  /** Our logits for `batchRows`, each row with its task's prompt, against `theirs` over the real positions. */
  const logitsDiff = (prompt: MultitaskPrompt, batchRows: TokenizedExample[], theirs: Float32Array) => {
    const batch = buildBatch(model, taskPrompt(prompt, 0), batchRows);
    const T = batch.time;
    batchRows.forEach((row, b) => batch.embeddings.set(taskPrompt(prompt, row.task!).values, b * T * C));
    const logits = model.forward({ batch: batch.batch, time: T, embeddings: batch.embeddings });
    // PEFT's logits cover the virtual tokens too: (B, P + time, V), as ours
    return rowLogitsDifference(logits, theirs, reference.rows, T, V, P);
  };

  it("gives PEFT's logits, loss and the gradients of the shared prompt and every task's factors", () => {
    const prompt = packed('initial');
    const diff = logitsDiff(prompt, rows, expected.get('logits')!);
    console.log(`multitask logits max abs diff ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(2e-4);
    const { loss, gradient } = multitaskTrainable(model, prompt).lossAndGradient(rows);
    expect(loss).toBeCloseTo(reference.loss, 4);
    const theirs = packed('grad').values;
    const scale = Math.max(...theirs.map(Math.abs));
    const gradientDiff = maxAbsDiff(gradient, theirs);
    console.log(
      `multitask gradient max abs diff ${gradientDiff.toExponential(2)} (largest ${scale.toExponential(2)})`,
    );
    expect(gradientDiff).toBeLessThan(1e-4 * scale);
    // a task none of the rows belongs to gets no gradient
    const onlyFirst = multitaskTrainable(model, prompt).lossAndGradient(examples([0, 0, 0])).gradient;
    const view = viewMultitask(onlyFirst, shape, 'peft');
    const largest = (values: Float32Array) => Math.max(...values.map(Math.abs));
    expect(largest(view.taskRows.subarray(0, ranks * C))).toBeGreaterThan(0);
    expect(largest(view.taskColumns.subarray(P * ranks))).toBe(0);
    expect(largest(view.taskRows.subarray(ranks * C))).toBe(0);
  });

  it("follows PEFT's losses for ten AdamW steps and ends on its parameters", () => {
    const prompt = packed('initial');
    const trainable = multitaskTrainable(model, prompt);
    const state = optimizerState(prompt.values.length);
    const adamw = { kind: 'adamw', learningRate: reference.learningRate, weightDecay: 0 } as const;
    const losses: number[] = [];
    for (let step = 0; step < reference.steps; step++) {
      const { loss, gradient } = trainable.lossAndGradient(rows);
      losses.push(loss);
      adamStep(prompt.values, gradient, state, adamw, reference.learningRate);
    }
    console.log(`multitask losses ${losses.map((loss) => loss.toFixed(4)).join(' ')}`);
    losses.forEach((loss, step) => expect(loss).toBeCloseTo(reference.losses[step], 3));
    const diff = maxAbsDiff(prompt.values, packed('trained').values);
    console.log(`multitask trained parameters max abs diff ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-3);
  });

  it("loads PEFT's adapter, each task's prompt by id, and refuses to guess a task", () => {
    const directory = join(fixture, 'adapter');
    const loaded = readMultitaskFolder(directory);
    expect(loaded.multitask.shape).toEqual(shape);
    expect(loaded.multitask.layout).toBe('peft');
    expect(maxAbsDiff(loaded.multitask.values, packed('initial').values)).toBe(0);
    const second = loadTrainedAdapter(directory, model, { task: '1' });
    expect(second.method).toBe('MULTITASK_PROMPT_TUNING');
    expect(second.prompt.values).toEqual(taskPrompt(packed('initial'), 1).values);
    expect(() => loadTrainedAdapter(directory, model)).toThrow(
      expect.objectContaining({ code: 'ADAPTER_TASK_REQUIRED' }),
    );
    expect(() => multitaskTaskId(loaded, '2')).toThrow(
      expect.objectContaining({ code: 'ADAPTER_TASK_UNKNOWN' }),
    );
    // a registry version serves one task: a prompt of two is refused there
    const files = {
      config: JSON.parse(readFileSync(join(directory, 'adapter_config.json'), 'utf8')),
      safetensors: readFileSync(join(directory, 'adapter_model.safetensors')),
    };
    expect(() => checkAdapterFiles(files, 'the version')).toThrow(
      expect.objectContaining({ code: 'ADAPTER_TASK_REQUIRED' }),
    );
    // and a config that claims one task is caught by the tensors' shapes
    expect(() =>
      checkAdapterFiles({ ...files, config: { ...files.config, num_tasks: 1 } }, 'the version'),
    ).toThrow(expect.objectContaining({ code: 'ADAPTER_CORRUPT' }));
    // a NaN in a task's factors is named by task, virtual token and rank (not as a prompt's position)
    const damaged = mkdtempSync(join(tmpdir(), 'promptune-multitask-nan-'));
    cpSync(directory, damaged, { recursive: true });
    // [task, virtual token, rank]: the second task's first values
    patchSafetensorsFloat(join(damaged, 'adapter_model.safetensors'), 'prefix_task_cols', P * ranks + 3, NaN);
    expect(() => readMultitaskFolder(damaged)).toThrow(
      expect.objectContaining({
        code: 'SOFT_PROMPT_NOT_FINITE',
        message: expect.stringContaining(
          `(task 1, virtual token ${Math.floor(3 / ranks)}, rank ${3 % ranks}) is NaN`,
        ),
      }),
    );
  });

  it("transfers to a new task where PEFT's source inits start", () => {
    const source = readMultitaskFolder(join(fixture, 'adapter')).multitask;
    const random = seededRandom(0);
    const average = transferMultitask(source, { kind: 'average' }, random);
    expect(maxAbsDiff(average.values, packed('AVERAGE_SOURCE_TASKS', 1).values)).toBeLessThan(1e-6);
    const exact = transferMultitask(source, { kind: 'task', task: reference.sourceTask }, random);
    expect(maxAbsDiff(exact.values, packed('EXACT_SOURCE_TASK', 1).values)).toBe(0);
    const shared = transferMultitask(source, { kind: 'shared' }, random);
    expect(shared.shape.tasks).toBe(1);
    expect(shared.shared).toEqual(expected.get('ONLY_SOURCE_SHARED.embedding.weight'));
    // new factors as PEFT draws them: std 0.02
    const std = Math.sqrt(
      shared.taskRows.reduce((sum, value) => sum + value * value, 0) / shared.taskRows.length,
    );
    expect(std).toBeGreaterThan(0.01);
    expect(std).toBeLessThan(0.04);
  });

  it('writes an adapter that reads back equal, with its tasks named, and one PEFT loads', () => {
    const prompt = packed('trained');
    const directory = mkdtempSync(join(tmpdir(), 'promptune-multitask-'));
    saveMultitaskAdapter(directory, prompt, model, {
      baseModelName: 'stories260K-hf',
      method: 'multitask-prompt-tuning',
      tasks: ['name', 'animal'],
    });
    const written = JSON.parse(readFileSync(join(directory, 'adapter_config.json'), 'utf8'));
    expect(written).toMatchObject({
      peft_type: 'MULTITASK_PROMPT_TUNING',
      num_tasks: tasks,
      num_ranks: ranks,
      num_virtual_tokens: P,
      token_dim: C,
    });
    expect(readMultitaskFolder(directory).multitask.values).toEqual(prompt.values);
    expect(loadTrainedAdapter(directory, model, { task: 'animal' }).prompt.values).toEqual(
      taskPrompt(prompt, 1).values,
    );
    expect(() =>
      saveMultitaskAdapter(directory, prompt, model, { baseModelName: 'x', tasks: ['one'] }),
    ).toThrow(expect.objectContaining({ code: 'SOFT_PROMPT_MISMATCH' }));
    const logits = peftLogits('peft_multitask', directory);
    if (!logits) return;
    const diff = logitsDiff(prompt, examples([0, 0, 0]), logits);
    console.log(`PEFT loading promptune's multitask adapter: logits max abs diff ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-4);
  });
});
