// npm run bench:soft-tiny — one prompt-tuning step on stories260K (260K parameters), where overhead, not
// arithmetic, decides: batch 8 of the shared `name` task's train examples behind 16 virtual tokens (PEFT's
// layout: the prompt first), forward, loss on the targets, backward to the prompt and an AdamW step; ours
// against transformers + PEFT + PyTorch on the same checkpoint and token ids (target >= 5x). The PEFT side
// runs under BENCH_PEFT_PYTHON (default /usr/bin/python3) and is skipped with a message without peft.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  inputGradients,
  loadModel,
  nativeBlasCore,
  nativeThreading,
  seededRandom,
} from '../src/engine/index.js';
import {
  adamStep,
  buildBatch,
  initSoftPrompt,
  promptGradient,
  tokenizeExample,
  optimizerState,
} from '../src/soft/index.js';
import { readExamples } from '../src/tasks/index.js';
import { line, median } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));
const shared = join(here, '..', '..', 'shared');
const work = join(here, '.out', 'soft-tiny');
const threads = Number(process.env.BENCH_THREADS ?? 2);
const repeats = Number(process.env.BENCH_REPEATS ?? 20);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const python = process.env.BENCH_PEFT_PYTHON ?? '/usr/bin/python3';
const [B, N] = [8, 16];

const checkpoint = join(shared, 'models', 'stories260K-hf');
const { model, tokenizer } = await loadModel(checkpoint);
const examples = readExamples(join(shared, 'datasets', 'name', 'train.jsonl'), {
  inputFields: ['input'],
  targetField: 'target',
})
  .slice(0, B)
  .map((row) => tokenizeExample(tokenizer, String(row.fields.input), String(row.target), `line ${row.line}`));
const prompt = initSoftPrompt(model, tokenizer, N, { kind: 'sample-vocab' }, seededRandom(0), 'peft');
const initial = Array.from(prompt.values); // PEFT starts from the same prompt, so the losses can agree
const batch = buildBatch(model, prompt, examples);
const state = optimizerState(N * model.config.hiddenSize);
const optimizer = { kind: 'adamw' as const, learningRate: 0.3, weightDecay: 0 };
const step = () => {
  const fresh = buildBatch(model, prompt, examples);
  const result = inputGradients(model, fresh);
  adamStep(prompt.values, promptGradient(prompt, fresh, result.dembeddings), state, optimizer, 0.3);
  return result.loss;
};
for (let i = 0; i < 3; i++) step(); // warm-up
/** Median seconds of `repeats` steps; the loss after them. */
const measureOurs = () => {
  const seconds: number[] = [];
  let loss = 0;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    loss = step();
    seconds.push((performance.now() - start) / 1000);
  }
  return { seconds: median(seconds), loss };
};
const first = measureOurs(); // after 3 + repeats steps, as PEFT's loss below
const tokens = B * batch.time;
line(
  `prompt-tuning step, stories260K, ${B} x ${batch.time} positions (${N} virtual): promptune (${model.kernels.name} kernels, ${nativeThreading() ?? 'no'} threading, OpenBLAS ${nativeBlasCore() ?? 'not loaded'} kernels) ${(first.seconds * 1000).toFixed(2)} ms median of ${repeats} (${(tokens / first.seconds).toFixed(0)} positions/s), loss ${first.loss.toFixed(3)}`,
);

// the same batch for PEFT: its prompt goes first, so ids are the rows without the prompt, labels -100
// except on the targets, and the mask covers the real tokens
const T = batch.time - N;
const inputIds = examples.map((example) => {
  const ids = [...example.inputIds, ...example.targetIds];
  return [...ids, ...new Array(T - ids.length).fill(0)];
});
const labels = examples.map((example) => {
  const ids = [...new Array(example.inputIds.length).fill(-100), ...example.targetIds];
  return [...ids, ...new Array(T - ids.length).fill(-100)];
});
const attentionMask = examples.map((example) => {
  const length = example.inputIds.length + example.targetIds.length;
  return Array.from({ length: T }, (_, t) => (t < length ? 1 : 0));
});
mkdirSync(work, { recursive: true });
writeFileSync(
  join(work, 'manifest.json'),
  JSON.stringify({
    model: checkpoint,
    virtualTokens: N,
    initial,
    inputIds,
    labels,
    attentionMask,
    threads,
    repeats,
  }),
);
const probe = spawnSync(python, ['-c', 'import torch, transformers, peft'], { encoding: 'utf8' });
if (probe.status !== 0) {
  line(
    `PEFT: skipped (${python} lacks torch, transformers or peft; make a venv from the local package index and set BENCH_PEFT_PYTHON)`,
  );
} else {
  const peft = () => {
    const run = spawnSync(python, [join(here, 'soft_tiny_peft.py'), work], {
      encoding: 'utf8',
      env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: String(threads) },
    });
    if (run.status !== 0) throw new Error(`soft_tiny_peft.py failed:\n${run.stderr}`);
    return JSON.parse(run.stdout.trim().split('\n').pop()!) as {
      seconds: number[];
      loss: number;
      torch: string;
      peft: string;
    };
  };
  // rounds alternate the two sides, so a machine that slows down midway slows both; the ratio is the
  // median of the rounds' ratios
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const ours = round === 0 ? first.seconds : measureOurs().seconds;
    const peer = peft();
    const theirs = median(peer.seconds);
    ratios.push(theirs / ours);
    if (round === 0)
      line(
        `prompt-tuning step, PEFT ${peer.peft} + PyTorch ${peer.torch} CPU (${threads} threads): loss ${peer.loss.toFixed(3)} after the same ${3 + repeats} steps from the same prompt (ours ${first.loss.toFixed(3)})`,
      );
    line(
      `round ${round + 1}: promptune ${(ours * 1000).toFixed(2)} ms, PEFT ${(theirs * 1000).toFixed(2)} ms (medians of ${repeats} steps): ${(theirs / ours).toFixed(2)}x`,
    );
  }
  line(
    `prompt-tuning step ratio promptune/PEFT: ${median(ratios).toFixed(2)}x median of ${rounds} rounds (target >= 5)`,
  );
}
