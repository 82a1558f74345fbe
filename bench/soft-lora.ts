// bench:soft's LoRA lines: one LoRA training step (rank 16 on q, k, v, o, gate, up, down; backward to the
// LoRA matrices only) on bench:soft's model and text, against the same LoRA in PyTorch autograd. With
// dropout (PEFT's lora_dropout), each side draws its own masks (ours from the step's key, PyTorch's from
// its generator), so the losses differ by the masks and only the times are compared.
import { join } from 'node:path';
import { packAdapter, writeSafetensors, type LlamaModel, type NamedTensor } from '../src/engine/index.js';
import {
  buildBatch,
  initLoraAdapter,
  loraScale,
  loraTrainable,
  noPrompt,
  type TokenizedExample,
} from '../src/soft/index.js';
import { line, median, timed } from './report.js';
import { runTorch, writeForTorch } from './torch-peer.js';

/** Times the LoRA step on `examples` with ours and PyTorch's, printing both and the ratio. */
export function benchLoraStep(
  model: LlamaModel,
  examples: TokenizedExample[],
  options: {
    rank: number;
    dropout: number;
    random: () => number;
    repeats: number;
    threads: number;
    work: string;
  },
): void {
  const { rank, dropout, random, repeats, threads, work } = options;
  const name = dropout ? `LoRA training step with dropout ${dropout}` : 'LoRA training step';
  const initial = initLoraAdapter(model, { rank }, random);
  // a B away from zero, so A's gradient is not zero
  for (const layer of initial.layers)
    for (const pair of Object.values(layer))
      for (let i = 0; i < pair.b.length; i++) pair.b[i] = (random() - 0.5) * 0.02;
  const { adapter, values } = packAdapter(initial);
  const trainable = loraTrainable(model, adapter, values, dropout);
  let step = 0; // each step its own masks, as in a run
  const { seconds: ours, result } = timed(
    () => trainable.lossAndGradient(examples, { seed: 0, step: ++step }),
    repeats,
  );
  const batch = buildBatch(model, noPrompt(model), examples);
  line(
    `${name} ${examples.length} x ${batch.time} tokens (rank ${rank}, 7 projections) promptune: ${ours.toFixed(3)} s median of ${repeats}, loss ${result.loss.toFixed(6)}`,
  );
  writeForTorch(model, work, {
    tokens: examples.flatMap((example) => [...example.inputIds, ...example.targetIds]),
    targets: Array.from(batch.targets),
    batch: batch.batch,
    time: batch.time,
    threads,
    repeats,
    scale: loraScale({ r: rank, lora_alpha: 2 * rank }),
    dropout,
  });
  const tensors: Record<string, NamedTensor> = {};
  adapter.layers.forEach((layer, l) => {
    for (const [projection, pair] of Object.entries(layer)) {
      tensors[`layers.${l}.${projection}.a`] = { shape: [rank, pair.a.length / rank], data: pair.a };
      tensors[`layers.${l}.${projection}.b`] = { shape: [pair.b.length / rank, rank], data: pair.b };
    }
  });
  writeSafetensors(join(work, 'lora.safetensors'), tensors);
  const peer = runTorch<{ seconds: number[]; loss: number; torch: string; gradient_sample: number[] }>(
    'soft_lora_torch.py',
    work,
    threads,
  );
  if ('skipped' in peer) {
    line(`${name} PyTorch: skipped (${peer.skipped})`);
    return;
  }
  const theirs = median(peer.result.seconds);
  const inFeatures = adapter.layers[0].query!.a.length / rank;
  const sample = [
    ...result.gradient.subarray(0, 8),
    ...result.gradient.subarray(rank * inFeatures, rank * inFeatures + 8),
  ];
  const difference = Math.max(...sample.map((value, i) => Math.abs(value - peer.result.gradient_sample[i])));
  const agreement = dropout
    ? 'each with its own masks'
    : `losses differ by ${Math.abs(result.loss - peer.result.loss).toExponential(2)}, LoRA gradients by ${difference.toExponential(2)}`;
  line(
    `${name} PyTorch ${peer.result.torch} CPU: ${theirs.toFixed(3)} s median of ${repeats}, loss ${peer.result.loss.toFixed(6)}; ${agreement}`,
  );
  line(`${name} ratio promptune/PyTorch: ${(theirs / ours).toFixed(2)}x (target >= 1.5x)`);
}
