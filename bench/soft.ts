// npm run bench:soft — one soft-prompt training step (forward from embeddings, target-only loss,
// backward to the prompt; weights frozen) on a random SmolLM2-135M-shaped model: batch 8 rows of BOS,
// 20 virtual tokens and 127 text tokens (the last 4 are targets), ours vs PyTorch CPU on the same
// weights, tokens and prompt, in one run. Prints both times, both losses (they must agree), the ratio.
// Then one LoRA training step (rank 16 on q, k, v, o, gate, up, down; backward to the LoRA matrices) on
// the same model and text, against the same LoRA in PyTorch autograd; and one prefix-tuning step
// (bench/soft-prefix.ts), one P-tuning step (bench/soft-p-tuning.ts) and one multitask prompt tuning step
// (bench/soft-multitask.ts), one full fine-tuning step, every weight trained (bench/soft-full.ts), and
// the LoRA step with dropout 0.1 (bench/soft-lora.ts).
// BENCH_SOFT_ONLY=lora|prefix|p-tuning|multitask|full|lora-dropout runs that line alone.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  defaultKernels,
  inputGradients,
  nativeBlasCore,
  nativeThreading,
  seededRandom,
  writeSafetensors,
} from '../src/engine/index.js';
import { buildBatch, promptGradient, type SoftPrompt } from '../src/soft/index.js';
import { randomModel, smolLm2Shape } from './random-model.js';
import { benchFullStep } from './soft-full.js';
import { benchLoraStep } from './soft-lora.js';
import { benchMultitaskStep } from './soft-multitask.js';
import { benchPromptEncoderStep } from './soft-p-tuning.js';
import { benchPrefixStep } from './soft-prefix.js';
import { promptStep, runTorch, writeForTorch } from './torch-peer.js';
import { line, median } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));
const work = join(here, '.out', 'soft');
const threads = Number(process.env.BENCH_THREADS ?? 2);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);

const [B, N, textTokens, targetTokens] = [8, 20, 128, 4];
mkdirSync(work, { recursive: true });
const kernels = defaultKernels();
line(
  `building a random-weight model with SmolLM2-135M's shape (${kernels.name} kernels, ${nativeThreading() ?? 'no'} threading, OpenBLAS ${nativeBlasCore() ?? 'not loaded'} kernels)...`,
);
const model = randomModel(smolLm2Shape, kernels);
const C = model.config.hiddenSize;
const random = seededRandom(11);
const prompt: SoftPrompt = {
  virtualTokens: N,
  hiddenSize: C,
  values: Float32Array.from({ length: N * C }, () => (random() * 2 - 1) * 0.5),
  layout: 'bos-first',
};
const examples = Array.from({ length: B }, () => {
  const ids = Array.from(
    { length: textTokens },
    () => 3 + Math.floor(random() * (smolLm2Shape.vocabularySize - 3)),
  );
  return {
    inputIds: [1, ...ids.slice(0, textTokens - 1 - targetTokens)],
    targetIds: ids.slice(textTokens - 1 - targetTokens, textTokens - 1),
  };
});
const batch = buildBatch(model, prompt, examples);

// the lines in their own files, each runnable alone
const methodLines: Record<string, () => void> = {
  prefix: () =>
    benchPrefixStep(model, examples, { length: N, random, repeats, threads, work: join(work, 'prefix') }),
  'p-tuning': () =>
    benchPromptEncoderStep(model, examples, {
      virtualTokens: N,
      random,
      repeats,
      threads,
      work: join(work, 'p-tuning'),
    }),
  multitask: () =>
    benchMultitaskStep(model, examples, {
      virtualTokens: N,
      random,
      repeats,
      threads,
      work: join(work, 'multitask'),
    }),
  full: () => benchFullStep(model, examples, { repeats, threads, work: join(work, 'full') }),
  lora: () =>
    benchLoraStep(model, examples, {
      rank: 16,
      dropout: 0,
      random,
      repeats,
      threads,
      work: join(work, 'lora'),
    }),
  'lora-dropout': () =>
    benchLoraStep(model, examples, {
      rank: 16,
      dropout: 0.1,
      random,
      repeats,
      threads,
      work: join(work, 'lora-dropout'),
    }),
};
const only = process.env.BENCH_SOFT_ONLY;
if (only !== undefined) {
  const run = methodLines[only];
  if (!run) throw new Error(`BENCH_SOFT_ONLY is ${only}; one of ${Object.keys(methodLines).join(', ')}`);
  run();
  process.exit(0);
}

inputGradients(model, batch); // warm-up: allocations
const seconds: number[] = [];
let loss = 0;
let gradient: Float32Array = new Float32Array(0);
for (let i = 0; i < repeats; i++) {
  const start = performance.now();
  const result = inputGradients(model, batch);
  gradient = promptGradient(prompt, batch, result.dembeddings);
  seconds.push((performance.now() - start) / 1000);
  loss = result.loss;
}
const ours = median(seconds);
const textPerSecond = (B * textTokens) / ours;
line(
  `training step ${B} x (${N} virtual + ${textTokens} text) promptune: ${ours.toFixed(3)} s median of ${repeats} (${textPerSecond.toFixed(0)} text tokens/s), loss ${loss.toFixed(6)}`,
);

// the same step in PyTorch: tokens with placeholders where the prompt goes, the same targets and prompt
writeForTorch(model, work, { ...promptStep(examples, batch, N), threads, repeats });
writeSafetensors(join(work, 'prompt.safetensors'), { prompt: { shape: [N, C], data: prompt.values } });
const peer = runTorch<{ seconds: number[]; loss: number; torch: string; gradient_sample: number[] }>(
  'soft_torch.py',
  work,
  threads,
);
if ('skipped' in peer) line(`training step PyTorch: skipped (${peer.skipped})`);
else {
  const theirs = median(peer.result.seconds);
  const sample = [...gradient.subarray(0, 8), ...gradient.subarray((N - 1) * C, (N - 1) * C + 8)];
  const gradientDifference = Math.max(
    ...sample.map((value, i) => Math.abs(value - peer.result.gradient_sample[i])),
  );
  line(
    `training step PyTorch ${peer.result.torch} CPU: ${theirs.toFixed(3)} s median of ${repeats} (${((B * textTokens) / theirs).toFixed(0)} text tokens/s), loss ${peer.result.loss.toFixed(6)}; losses differ by ${Math.abs(loss - peer.result.loss).toExponential(2)}, prompt gradients by ${gradientDifference.toExponential(2)}`,
  );
  line(`training step ratio promptune/PyTorch: ${(theirs / ours).toFixed(2)}x`);
}

// LoRA: the same model and text without prompt vectors, an adapter of rank 16 on every projection
methodLines.lora();

for (const [name, run] of Object.entries(methodLines)) if (name !== 'lora') run();
