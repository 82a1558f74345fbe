// bench:soft's multitask line: one training step of a multitask prompt (4 tasks of rank 4, each row with
// its task's prompt, shared ⊙ columns_t · rows_t; backward through the model to each row's prompt, then
// to the shared prompt and the task factors) on bench:soft's model, text and layout, against the same
// step in PyTorch autograd (PEFT's MultitaskPromptEmbedding).
import { join } from 'node:path';
import { writeSafetensors, type LlamaModel, type Random } from '../src/engine/index.js';
import {
  buildBatch,
  initMultitask,
  multitaskTrainable,
  type SoftPrompt,
  type TokenizedExample,
} from '../src/soft/index.js';
import { line, median, timed } from './report.js';
import { promptStep, runTorch, writeForTorch } from './torch-peer.js';

/** Times the multitask step on `examples` with ours and PyTorch's, printing both and the ratio. */
export function benchMultitaskStep(
  model: LlamaModel,
  examples: TokenizedExample[],
  options: { virtualTokens: number; random: Random; repeats: number; threads: number; work: string },
): void {
  const { virtualTokens: N, repeats, threads } = options;
  const [tasks, ranks] = [4, 4];
  const C = model.config.hiddenSize;
  const shared: SoftPrompt = {
    virtualTokens: N,
    hiddenSize: C,
    values: Float32Array.from({ length: N * C }, () => (options.random() * 2 - 1) * 0.5),
    layout: 'bos-first',
  };
  const prompt = initMultitask(shared, tasks, ranks, options.random);
  // larger factors than PEFT's start (std 0.02), so the prompts are not near zero
  prompt.taskColumns.forEach((value, i) => (prompt.taskColumns[i] = value * 25));
  prompt.taskRows.forEach((value, i) => (prompt.taskRows[i] = value * 25));
  const rows = examples.map((example, row) => ({ ...example, task: row % tasks }));
  // the step soft train-multitask takes
  const trainable = multitaskTrainable(model, prompt);
  const { seconds: ours, result } = timed(() => trainable.lossAndGradient(rows), repeats);
  const batch = buildBatch(model, shared, examples);
  line(
    `multitask training step ${examples.length} x (${N} virtual + ${batch.time - N} text), ${tasks} tasks of rank ${ranks}: promptune ${ours.toFixed(3)} s median of ${repeats}, loss ${result.loss.toFixed(6)}`,
  );
  writeForTorch(model, options.work, {
    ...promptStep(examples, batch, N),
    taskIds: rows.map((row) => row.task),
    threads,
    repeats,
  });
  writeSafetensors(join(options.work, 'multitask.safetensors'), {
    shared: { shape: [N, C], data: prompt.shared },
    columns: { shape: [tasks, N, ranks], data: prompt.taskColumns },
    rows: { shape: [tasks, ranks, C], data: prompt.taskRows },
  });
  const peer = runTorch<{ seconds: number[]; loss: number; torch: string; gradient_sample: number[] }>(
    'soft_torch.py',
    options.work,
    threads,
  );
  if ('skipped' in peer) {
    line(`multitask training step PyTorch: skipped (${peer.skipped})`);
    return;
  }
  const theirs = median(peer.result.seconds);
  // the shared prompt's first row and task 0's first factor row
  const rowsAt = N * C + tasks * N * ranks;
  const sample = [...result.gradient.subarray(0, 8), ...result.gradient.subarray(rowsAt, rowsAt + 8)];
  const difference = Math.max(...sample.map((value, i) => Math.abs(value - peer.result.gradient_sample[i])));
  line(
    `multitask training step PyTorch ${peer.result.torch} CPU: ${theirs.toFixed(3)} s median of ${repeats}, loss ${peer.result.loss.toFixed(6)}; losses differ by ${Math.abs(result.loss - peer.result.loss).toExponential(2)}, gradients by ${difference.toExponential(2)}`,
  );
  line(`multitask training step ratio promptune/PyTorch: ${(theirs / ours).toFixed(2)}x (target >= 1.5x)`);
}
