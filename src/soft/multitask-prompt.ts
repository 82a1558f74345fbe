// Multitask prompt tuning (Wang et al. 2023; PEFT's MULTITASK_PROMPT_TUNING): one prompt shared by T tasks,
// each task's prompt that shared prompt scaled elementwise by the task's rank-R product,
//   prompt_t = shared ⊙ (columns_t · rows_t),  shared (P, C), columns_t (P, R), rows_t (R, C).
// Trained on several tasks at once (each row with its task's prompt), then transferred to a new task by
// starting a one-task prompt from the source: the average of the tasks' factors, one task's factors, or
// the shared prompt alone (PEFT's AVERAGE_SOURCE_TASKS, EXACT_SOURCE_TASK, ONLY_SOURCE_SHARED). A task's
// prompt is a soft prompt, so one task of a multitask adapter serves like any soft prompt.
import { ValidationError } from '../errors/index.js';
import type { Random } from '../engine/index.js';
import { standardNormal, type PromptLayout, type SoftPrompt } from './soft-prompt.js';

/** P virtual tokens of C dimensions shared by T tasks, each with rank-R factors. */
export interface MultitaskShape {
  virtualTokens: number; // P
  hiddenSize: number; // C
  tasks: number; // T
  ranks: number; // R
}

/** A multitask prompt whose parts view one vector, `values`, in PEFT's parameter order. */
export interface MultitaskPrompt {
  shape: MultitaskShape;
  layout: PromptLayout;
  values: Float32Array;
  shared: Float32Array; // (P, C): PEFT's prompt_embeddings
  taskColumns: Float32Array; // (T, P, R): PEFT's prefix_task_cols
  taskRows: Float32Array; // (T, R, C): PEFT's prefix_task_rows
}

/** The sizes of the shared prompt, the task columns and the task rows. */
export function multitaskSizes(shape: MultitaskShape): [number, number, number] {
  const { virtualTokens: P, hiddenSize: C, tasks: T, ranks: R } = shape;
  return [P * C, T * P * R, T * R * C];
}

/** The multitask prompt viewing `values` (shared, then columns, then rows). */
export function viewMultitask(
  values: Float32Array,
  shape: MultitaskShape,
  layout: PromptLayout,
): MultitaskPrompt {
  const [shared, columns, rows] = multitaskSizes(shape);
  if (values.length !== shared + columns + rows)
    throw new ValidationError(
      `a multitask prompt of this shape holds ${shared + columns + rows} values, not ${values.length}`,
      { code: 'SOFT_PROMPT_MISMATCH', hint: 'Use values made for this shape.' },
    );
  return {
    shape,
    layout,
    values,
    shared: values.subarray(0, shared),
    taskColumns: values.subarray(shared, shared + columns),
    taskRows: values.subarray(shared + columns),
  };
}

/** Packs a shared prompt and the task factors (copied) into one multitask prompt. */
export function packMultitask(
  parts: { shared: Float32Array; taskColumns: Float32Array; taskRows: Float32Array },
  shape: MultitaskShape,
  layout: PromptLayout,
): MultitaskPrompt {
  const values = new Float32Array(multitaskSizes(shape).reduce((sum, size) => sum + size, 0));
  const prompt = viewMultitask(values, shape, layout);
  prompt.shared.set(parts.shared);
  prompt.taskColumns.set(parts.taskColumns);
  prompt.taskRows.set(parts.taskRows);
  return prompt;
}

/** Draws from a normal of standard deviation `scale`. */
function normals(count: number, scale: number, random: Random): Float32Array {
  return Float32Array.from({ length: count }, () => standardNormal(random) * scale);
}

/** A new multitask prompt: `shared` (a soft prompt's init) and every task's factors as PEFT draws them (std 0.02). */
export function initMultitask(
  shared: SoftPrompt,
  tasks: number,
  ranks: number,
  random: Random,
): MultitaskPrompt {
  for (const [name, value] of [
    ['tasks', tasks],
    ['ranks', ranks],
  ] as const)
    if (!Number.isInteger(value) || value < 1)
      throw new ValidationError(`multitask prompt ${name}: ${value}`, {
        code: 'SOFT_PROMPT_SIZE',
        hint: `Use a whole number of ${name} >= 1.`,
      });
  const shape = { virtualTokens: shared.virtualTokens, hiddenSize: shared.hiddenSize, tasks, ranks };
  const [, columns, rows] = multitaskSizes(shape);
  return packMultitask(
    {
      shared: shared.values,
      taskColumns: normals(columns, 0.02, random),
      taskRows: normals(rows, 0.02, random),
    },
    shape,
    shared.layout,
  );
}

/** Refuses a task index the prompt does not have. */
export function checkTask(prompt: MultitaskPrompt, task: number): void {
  if (!Number.isInteger(task) || task < 0 || task >= prompt.shape.tasks)
    throw new ValidationError(`task ${task}: the multitask prompt has tasks 0..${prompt.shape.tasks - 1}`, {
      code: 'ADAPTER_TASK_UNKNOWN',
      hint: 'Name one of the tasks the prompt was trained on.',
    });
}

/** Task `task`'s scale, columns_t · rows_t (P, C). */
export function taskScale(prompt: MultitaskPrompt, task: number): Float32Array {
  checkTask(prompt, task);
  const { virtualTokens: P, hiddenSize: C, ranks: R } = prompt.shape;
  const columns = prompt.taskColumns.subarray(task * P * R, (task + 1) * P * R);
  const rows = prompt.taskRows.subarray(task * R * C, (task + 1) * R * C);
  const scale = new Float32Array(P * C);
  for (let p = 0; p < P; p++)
    for (let r = 0; r < R; r++) {
      const column = columns[p * R + r];
      for (let c = 0; c < C; c++) scale[p * C + c] += column * rows[r * C + c];
    }
  return scale;
}

/** Task `task`'s prompt, shared ⊙ scale, as a soft prompt. */
export function taskPrompt(prompt: MultitaskPrompt, task: number): SoftPrompt {
  const values = taskScale(prompt, task);
  for (let i = 0; i < values.length; i++) values[i] *= prompt.shared[i];
  const { virtualTokens, hiddenSize } = prompt.shape;
  return { virtualTokens, hiddenSize, values, layout: prompt.layout };
}

/**
 * Adds to `gradient` (laid out as `values`) what `taskGradient`, d loss / d task `task`'s prompt, gives the
 * shared prompt and the task's factors: d shared += g ⊙ scale; with d scale = g ⊙ shared,
 * d columns_t = d scale · rows_tᵀ and d rows_t = columns_tᵀ · d scale.
 */
export function addTaskGradient(
  prompt: MultitaskPrompt,
  task: number,
  taskGradient: Float32Array,
  gradient: Float32Array,
): void {
  const { virtualTokens: P, hiddenSize: C, ranks: R } = prompt.shape;
  const scale = taskScale(prompt, task);
  const view = viewMultitask(gradient, prompt.shape, prompt.layout);
  const dScale = new Float32Array(P * C);
  for (let i = 0; i < P * C; i++) {
    view.shared[i] += taskGradient[i] * scale[i];
    dScale[i] = taskGradient[i] * prompt.shared[i];
  }
  const columnsAt = task * P * R;
  const rowsAt = task * R * C;
  for (let p = 0; p < P; p++)
    for (let r = 0; r < R; r++) {
      const column = prompt.taskColumns[columnsAt + p * R + r];
      let sum = 0;
      for (let c = 0; c < C; c++) {
        const d = dScale[p * C + c];
        sum += d * prompt.taskRows[rowsAt + r * C + c];
        view.taskRows[rowsAt + r * C + c] += column * d;
      }
      view.taskColumns[columnsAt + p * R + r] += sum;
    }
}

/** Where a one-task prompt transferred from a multitask source starts (PEFT's source inits). */
export type MultitaskTransfer =
  | { kind: 'average' } // the mean of the tasks' columns and of their rows
  | { kind: 'task'; task: number } // one task's factors
  | { kind: 'shared' }; // the shared prompt, new factors as initMultitask draws them

/** A one-task prompt for a new task, started from `source` as `transfer` says. */
export function transferMultitask(
  source: MultitaskPrompt,
  transfer: MultitaskTransfer,
  random: Random,
): MultitaskPrompt {
  const { virtualTokens: P, hiddenSize: C, tasks: T, ranks: R } = source.shape;
  const shape = { ...source.shape, tasks: 1 };
  const sharedPrompt = { virtualTokens: P, hiddenSize: C, values: source.shared, layout: source.layout };
  if (transfer.kind === 'shared') return initMultitask(sharedPrompt, 1, R, random);
  const pick = (values: Float32Array, size: number): Float32Array => {
    if (transfer.kind === 'task') {
      checkTask(source, transfer.task);
      return values.slice(transfer.task * size, (transfer.task + 1) * size);
    }
    const mean = new Float32Array(size);
    for (let t = 0; t < T; t++) for (let i = 0; i < size; i++) mean[i] += values[t * size + i];
    return mean.map((sum) => sum / T);
  };
  return packMultitask(
    {
      shared: source.shared,
      taskColumns: pick(source.taskColumns, P * R),
      taskRows: pick(source.taskRows, R * C),
    },
    shape,
    source.layout,
  );
}
