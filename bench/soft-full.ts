// bench:soft's full fine-tuning line: one training step with every weight trained (forward from the
// token embeddings, target-only loss, backward to every matrix, norm and the tied embedding) on a float32
// copy of bench:soft's model and text, against the same step in PyTorch autograd with every weight
// requiring a gradient. Then the optimizer's step over every weight, timed apart: promptune's AdamW
// (weight decay 0.01 on the matrices) against torch.optim.AdamW's foreach implementation.
import type { LlamaModel } from '../src/engine/index.js';
import {
  adamStep,
  buildBatch,
  fullTrainable,
  noPrompt,
  optimizerState,
  trainableCopy,
  type TokenizedExample,
} from '../src/soft/index.js';
import { line, median, timed } from './report.js';
import { runTorch, writeForTorch } from './torch-peer.js';

/** Times the full fine-tuning step on `examples` with ours and PyTorch's, printing both and the ratio. */
export function benchFullStep(
  base: LlamaModel,
  examples: TokenizedExample[],
  options: { repeats: number; threads: number; work: string },
): void {
  const { repeats, threads } = options;
  const { model, values } = trainableCopy(base);
  const trainable = fullTrainable(model, values);
  const { seconds: ours, result } = timed(() => trainable.lossAndGradient(examples), repeats);
  const batch = buildBatch(model, noPrompt(model), examples);
  line(
    `full fine-tuning step ${examples.length} x ${batch.time} tokens (${values.length.toLocaleString('en-US')} weights): promptune ${ours.toFixed(3)} s median of ${repeats}, loss ${result.loss.toFixed(6)}`,
  );
  writeForTorch(model, options.work, {
    tokens: examples.flatMap((example) => [...example.inputIds, ...example.targetIds]),
    targets: Array.from(batch.targets),
    batch: batch.batch,
    time: batch.time,
    threads,
    repeats,
  });
  const state = optimizerState(values.length);
  const adamw = { kind: 'adamw', learningRate: 3e-4, weightDecay: 0.01 } as const;
  const { seconds: optimizer } = timed(
    () =>
      adamStep(values, result.gradient, state, adamw, adamw.learningRate, trainable.decays, model.kernels),
    repeats,
  );
  line(
    `full fine-tuning AdamW step over every weight: promptune ${optimizer.toFixed(3)} s median of ${repeats}`,
  );
  const peer = runTorch<{
    seconds: number[];
    loss: number;
    torch: string;
    gradient_sample: number[];
    optimizer_seconds: number[];
  }>('soft_full_torch.py', options.work, threads);
  if ('skipped' in peer) {
    line(`full fine-tuning step PyTorch: skipped (${peer.skipped})`);
    return;
  }
  const theirs = median(peer.result.seconds);
  // the embedding's first row and layer 0's query's first row (the gradient is laid out as the weights)
  const query = model.weights.layers[0].query as Float32Array;
  const queryAt = (query.byteOffset - values.byteOffset) / Float32Array.BYTES_PER_ELEMENT;
  const sample = [...result.gradient.subarray(0, 8), ...result.gradient.subarray(queryAt, queryAt + 8)];
  const difference = Math.max(...sample.map((value, i) => Math.abs(value - peer.result.gradient_sample[i])));
  line(
    `full fine-tuning step PyTorch ${peer.result.torch} CPU: ${theirs.toFixed(3)} s median of ${repeats}, loss ${peer.result.loss.toFixed(6)}; losses differ by ${Math.abs(result.loss - peer.result.loss).toExponential(2)}, gradients by ${difference.toExponential(2)}`,
  );
  line(`full fine-tuning step ratio promptune/PyTorch: ${(theirs / ours).toFixed(2)}x (target >= 1.5x)`);
  const theirOptimizer = median(peer.result.optimizer_seconds);
  line(
    `full fine-tuning AdamW step PyTorch (foreach): ${theirOptimizer.toFixed(3)} s median of ${repeats}; ratio promptune/PyTorch ${(theirOptimizer / optimizer).toFixed(2)}x`,
  );
}
