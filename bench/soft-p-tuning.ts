// bench:soft's P-tuning line: one training step of a soft prompt made by PEFT's MLP prompt encoder
// (hidden size = the model's; backward through the model to the prompt, then through the encoder) on
// bench:soft's model, text and layout, against the same step in PyTorch autograd.
import { join } from 'node:path';
import { writeSafetensors, type LlamaModel, type Random } from '../src/engine/index.js';
import {
  buildBatch,
  initPromptEncoder,
  promptEncoderTrainable,
  type SoftPrompt,
  type TokenizedExample,
} from '../src/soft/index.js';
import { line, median, timed } from './report.js';
import { promptStep, runTorch, writeForTorch } from './torch-peer.js';

/** Times the P-tuning step on `examples` with ours and PyTorch's, printing both and the ratio. */
export function benchPromptEncoderStep(
  model: LlamaModel,
  examples: TokenizedExample[],
  options: { virtualTokens: number; random: Random; repeats: number; threads: number; work: string },
): void {
  const { virtualTokens: N, repeats, threads } = options;
  const C = model.config.hiddenSize;
  const encoder = initPromptEncoder(model, N, C, options.random);
  // the step soft train --method p-tuning takes
  const trainable = promptEncoderTrainable(model, encoder, 'bos-first');
  const { seconds: ours, result } = timed(() => trainable.lossAndGradient(examples), repeats);
  // where the prompt goes and what is predicted, for the peer (the vectors do not matter here)
  const prompt: SoftPrompt = {
    virtualTokens: N,
    hiddenSize: C,
    values: new Float32Array(N * C),
    layout: 'bos-first',
  };
  const batch = buildBatch(model, prompt, examples);
  line(
    `P-tuning training step ${examples.length} x (${N} virtual + ${batch.time - N} text), encoder ${C}: promptune ${ours.toFixed(3)} s median of ${repeats}, loss ${result.loss.toFixed(6)}`,
  );
  writeForTorch(model, options.work, { ...promptStep(examples, batch, N), encoder: C, threads, repeats });
  const names = ['rows', 'weight0', 'bias0', 'weight1', 'bias1', 'weight2', 'bias2'];
  const parts = [encoder.rows, ...encoder.weights.flatMap((weight, i) => [weight, encoder.biases[i]])];
  const shapes = [[N, C], [C, C], [C], [C, C], [C], [C, C], [C]];
  writeSafetensors(
    join(options.work, 'encoder.safetensors'),
    Object.fromEntries(names.map((name, i) => [name, { shape: shapes[i], data: parts[i] }])),
  );
  const peer = runTorch<{ seconds: number[]; loss: number; torch: string; gradient_sample: number[] }>(
    'soft_torch.py',
    options.work,
    threads,
  );
  if ('skipped' in peer) {
    line(`P-tuning training step PyTorch: skipped (${peer.skipped})`);
    return;
  }
  const theirs = median(peer.result.seconds);
  // the encoder's first row and its last weight's first row
  const last = result.gradient.length - C - C * C;
  const sample = [...result.gradient.subarray(0, 8), ...result.gradient.subarray(last, last + 8)];
  const difference = Math.max(...sample.map((value, i) => Math.abs(value - peer.result.gradient_sample[i])));
  line(
    `P-tuning training step PyTorch ${peer.result.torch} CPU: ${theirs.toFixed(3)} s median of ${repeats}, loss ${peer.result.loss.toFixed(6)}; losses differ by ${Math.abs(result.loss - peer.result.loss).toExponential(2)}, encoder gradients by ${difference.toExponential(2)}`,
  );
  line(`P-tuning training step ratio promptune/PyTorch: ${(theirs / ours).toFixed(2)}x (target >= 1.5x)`);
}
