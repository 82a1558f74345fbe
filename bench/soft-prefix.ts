// bench:soft's prefix-tuning line: one training step with a key/value prefix of `length` positions in
// every layer (backward to the prefix; weights frozen) on bench:soft's model and text, against the same
// step in PyTorch autograd as PEFT runs it (the prefix handed to attention as past keys and values, the
// text at positions length..). Ours, too, runs the text alone, the prefix attended as its past.
import { join } from 'node:path';
import {
  inputGradients,
  keyValueWidth,
  writeSafetensors,
  type LlamaModel,
  type Random,
} from '../src/engine/index.js';
import { buildBatch, prefixPlaceholders, type TokenizedExample } from '../src/soft/index.js';
import { line, median, timed } from './report.js';
import { runTorch, writeForTorch } from './torch-peer.js';

/** Times the prefix step on `examples` with ours and PyTorch's, printing both and the ratio. */
export function benchPrefixStep(
  model: LlamaModel,
  examples: TokenizedExample[],
  options: { length: number; random: Random; repeats: number; threads: number; work: string },
): void {
  const { length: P, random, repeats, threads } = options;
  const { layers: L } = model.config;
  const width = keyValueWidth(model.config);
  const values = Float32Array.from({ length: L * 2 * P * width }, () => (random() * 2 - 1) * 0.5);
  const prefix = { kind: 'prefix' as const, length: P, values };
  const batch = buildBatch(model, prefixPlaceholders(model, prefix), examples);
  const { seconds: ours, result } = timed(
    () => inputGradients(model, { ...batch, adapter: prefix }),
    repeats,
  );
  const B = examples.length;
  const text = batch.time - P;
  line(
    `prefix training step ${B} x (${P} prefix positions + ${text} text) promptune: ${ours.toFixed(3)} s median of ${repeats}, loss ${result.loss.toFixed(6)}`,
  );
  // PyTorch: the text alone, its targets without the placeholder positions, the prefix as a past
  const targets = Array.from({ length: B }, (_, b) =>
    Array.from(batch.targets.subarray(b * batch.time + P, (b + 1) * batch.time)),
  ).flat();
  writeForTorch(model, options.work, {
    tokens: examples.flatMap((example) => [...example.inputIds, ...example.targetIds]),
    targets,
    batch: B,
    time: text,
    prefix: P,
    threads,
    repeats,
  });
  writeSafetensors(join(options.work, 'prefix.safetensors'), {
    prefix: { shape: [L, 2, P, width], data: values },
  });
  const peer = runTorch<{ seconds: number[]; loss: number; torch: string; gradient_sample: number[] }>(
    'soft_prefix_torch.py',
    options.work,
    threads,
  );
  if ('skipped' in peer) {
    line(`prefix training step PyTorch: skipped (${peer.skipped})`);
    return;
  }
  const theirs = median(peer.result.seconds);
  const gradient = result.adapterGradients!;
  // layer 0's first key and first value of the last prefix position
  const sample = [
    ...gradient.subarray((P - 1) * width, (P - 1) * width + 8),
    ...gradient.subarray((2 * P - 1) * width, (2 * P - 1) * width + 8),
  ];
  const difference = Math.max(...sample.map((value, i) => Math.abs(value - peer.result.gradient_sample[i])));
  line(
    `prefix training step PyTorch ${peer.result.torch} CPU: ${theirs.toFixed(3)} s median of ${repeats}, loss ${peer.result.loss.toFixed(6)}; losses differ by ${Math.abs(result.loss - peer.result.loss).toExponential(2)}, prefix gradients by ${difference.toExponential(2)}`,
  );
  line(`prefix training step ratio promptune/PyTorch: ${(theirs / ours).toFixed(2)}x (target >= 1.5x)`);
}
