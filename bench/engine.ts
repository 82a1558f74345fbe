// npm run bench:engine — the local engine against its peers, measured in the same run:
//  1. forward throughput, batch 8 x 148 tokens, vs PyTorch CPU (bench/engine_torch.py) on the same
//     random SmolLM2-135M-shaped weights and tokens; logits are compared to show it is the same work;
//  2. batch-1 greedy decode tokens/s vs llama.cpp (node-llama-cpp) on the same weights written by our
//     GGUF writer as F32, Q8_0, Q4_K_M and Q6_K files (BENCH_DECODE_TYPES picks others), with the
//     memory each engine holds the weights in and how many greedy tokens agree;
//  3. the same forward as 1 on Q4_K_M weights kept quantized against them expanded to float32.
// Prints each ratio on its own line. Peers that are not installed are skipped with a message.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  defaultKernels,
  generate,
  loadModel,
  matrixBytes,
  type Matrix,
  type FileType,
  nativeBlasCore,
  nativeThreading,
  seededRandom,
  writeGguf,
  LlamaModel,
} from '../src/engine/index.js';
import { loadGguf } from '../src/engine/weights/gguf.js';
import { idsOnlyTokenizer, randomModel, smolLm2Shape, syntheticVocabulary } from './random-model.js';
import { runTorch, writeForTorch } from './torch-peer.js';
import { line, median } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));
const work = join(here, '.out', 'engine');
const threads = Number(process.env.BENCH_THREADS ?? 2);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);

function randomTokens(count: number, vocabulary: number, seed: number): Int32Array {
  const random = seededRandom(seed);
  return Int32Array.from({ length: count }, () => 3 + Math.floor(random() * (vocabulary - 3)));
}

async function forwardBenchmark(model: LlamaModel): Promise<void> {
  const [B, T] = [8, 148];
  const tokens = randomTokens(B * T, model.config.vocabularySize, 7);
  model.forward({ batch: B, time: T, tokens }); // warm-up
  const seconds: number[] = [];
  let logits: Float32Array = new Float32Array(0);
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    logits = model.forward({ batch: B, time: T, tokens });
    seconds.push((performance.now() - start) / 1000);
  }
  const ours = median(seconds);
  line(
    `forward ${B}x${T} promptune (${model.kernels.name} kernels, ${nativeThreading() ?? 'no'} threading, OpenBLAS ${nativeBlasCore() ?? 'not loaded'} kernels, ${threads} threads): ${ours.toFixed(3)} s median of ${repeats} (${((B * T) / ours).toFixed(0)} tokens/s)`,
  );

  writeForTorch(model, work, { tokens: Array.from(tokens), batch: B, time: T, threads, repeats });
  const peer = runTorch<{ seconds: number[]; torch: string; logits_sample: number[] }>(
    'engine_torch.py',
    work,
    threads,
  );
  if ('skipped' in peer) {
    line(`forward PyTorch: skipped (${peer.skipped})`);
    return;
  }
  const torch = peer.result;
  const theirs = median(torch.seconds);
  const V = model.config.vocabularySize;
  const ourSample = [
    ...logits.subarray((0 * T + T - 1) * V, (0 * T + T - 1) * V + 16),
    ...logits.subarray(((B - 1) * T + 5) * V, ((B - 1) * T + 5) * V + 16),
  ];
  const difference = Math.max(...ourSample.map((value, i) => Math.abs(value - torch.logits_sample[i])));
  line(
    `forward ${B}x${T} PyTorch ${torch.torch} CPU (${threads} threads): ${theirs.toFixed(3)} s median of ${repeats} (${((B * T) / theirs).toFixed(0)} tokens/s); logits max abs diff ${difference.toExponential(2)}`,
  );
  line(`forward throughput ratio promptune/PyTorch: ${(theirs / ours).toFixed(2)}x`);
}

/** Bytes of weights a model holds, float32 or quantized (a tied classifier counted once). */
function weightBytes(model: LlamaModel): number {
  const matrices = new Set<Matrix>([
    model.weights.embedding,
    model.weights.classifier,
    model.weights.finalNorm,
  ]);
  for (const layer of model.weights.layers)
    for (const value of Object.values(layer)) if (value) matrices.add(value);
  return [...matrices].reduce((sum, matrix) => sum + matrixBytes(matrix), 0);
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

/**
 * Batch-1 greedy decode on the same GGUF file in each file type, ours against llama.cpp. The two engines
 * alternate round by round (a slow spell of a shared machine slows both alike); the ratio is the median of
 * each round's own ratio. Our engine dequantizes every type to float32 at load today, which the memory
 * column shows.
 */
/** Where greedy tokens part (index `at`, or -1), how far apart our top two logits were there. */
function partingMargin(model: LlamaModel, prompt: number[], tokens: number[], at: number): string {
  if (at < 0) return '';
  const ids = Int32Array.from([...prompt, ...tokens.slice(0, at)]);
  const V = model.config.vocabularySize;
  const logits = model.forward({ batch: 1, time: ids.length, tokens: ids }).subarray((ids.length - 1) * V);
  const [first, second] = [...logits].sort((a, b) => b - a);
  return ` (our top two logits ${(first - second).toFixed(4)} apart, of ${first.toFixed(2)})`;
}

/** Untimed extra prompts per file type for the greedy agreement count. */
const agreementPrompts = Number(process.env.BENCH_AGREEMENT_PROMPTS ?? 8);

async function decodeBenchmark(model: LlamaModel): Promise<void> {
  const newTokens = 64;
  const prompt = Array.from(randomTokens(16, model.config.vocabularySize, 9));
  const tokenizer = idsOnlyTokenizer; // decoding ids only: no text is produced
  const peer = join(here, 'node_modules', 'node-llama-cpp', 'dist', 'index.js');
  const llamaCpp = existsSync(peer) ? ((await import(peer)) as typeof import('node-llama-cpp')) : undefined;
  if (!llamaCpp)
    line('decode llama.cpp: skipped (run `npm install --prefix bench` to install node-llama-cpp)');
  const llama = await llamaCpp?.getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  const fileTypes = (process.env.BENCH_DECODE_TYPES ?? 'f32,q8_0,q4_k_m,q6_k').split(',') as FileType[];
  for (const fileType of fileTypes) {
    const ggufPath = join(work, `random-smollm2-shape-${fileType}.gguf`);
    const written = writeGguf(ggufPath, model.config, model.weights, {
      fileType,
      metadata: syntheticVocabulary(model.config.vocabularySize),
      name: 'random SmolLM2-135M shape',
    });
    const types = new Map<string, number>();
    for (const tensor of written.tensors) types.set(tensor.type, (types.get(tensor.type) ?? 0) + 1);
    const ours = fileType === 'f32' ? model : (await loadModel(ggufPath, { kernels: model.kernels })).model;
    const ourRun = async () => {
      const start = performance.now();
      const [result] = await generate(ours, tokenizer, [{ tokens: prompt }], {
        maxTokens: newTokens,
        stopAtEos: false,
      });
      return { rate: newTokens / ((performance.now() - start) / 1000), tokens: result.tokens };
    };
    const peerModel = await llama?.loadModel({ modelPath: ggufPath });
    const context = await peerModel?.createContext({ contextSize: 256, threads, batchSize: 256 });
    const theirRun = async () => {
      const sequence = context!.getSequence();
      const start = performance.now();
      const generated: number[] = [];
      for await (const token of sequence.evaluate(prompt as never, { temperature: 0 })) {
        generated.push(token as number);
        if (generated.length >= newTokens) break;
      }
      const rate = newTokens / ((performance.now() - start) / 1000);
      sequence.dispose();
      return { rate, tokens: generated };
    };
    const rounds: { ours: number; theirs?: number }[] = [];
    let ourTokens: number[] = [];
    let theirTokens: number[] = [];
    for (let round = 0; round <= repeats; round++) {
      const mine = await ourRun();
      const theirs = context ? await theirRun() : undefined;
      ourTokens = mine.tokens;
      theirTokens = theirs?.tokens ?? [];
      if (round > 0) rounds.push({ ours: mine.rate, theirs: theirs?.rate }); // round 0 warms up
    }
    const name = fileType.toUpperCase();
    line(
      `decode batch 1 ${name} (${[...types].map(([type, count]) => `${type} ${count}`).join(', ')}; file ${megabytes(written.bytes)}): promptune ${median(rounds.map((round) => round.ours)).toFixed(1)} tokens/s, weights in memory ${megabytes(weightBytes(ours))}`,
    );
    if (!context || !peerModel) continue;
    const agree = ourTokens.findIndex((token, i) => token !== theirTokens[i]);
    line(
      `decode batch 1 ${name} llama.cpp (node-llama-cpp, ${threads} threads): ${median(rounds.map((round) => round.theirs!)).toFixed(1)} tokens/s, model in memory ${megabytes(peerModel.size)}; greedy tokens agree for ${agree < 0 ? newTokens : agree} of ${newTokens}${partingMargin(ours, prompt, ourTokens, agree)}`,
    );
    // more prompts, untimed: how often the two engines' greedy tokens agree throughout, and where they part,
    // how close our top two logits were (a near tie flips under llama.cpp's 8-bit activations)
    const parted: string[] = [];
    let whole = 0;
    for (let seed = 100; seed < 100 + agreementPrompts; seed++) {
      const other = Array.from(randomTokens(16, model.config.vocabularySize, seed));
      const [mine] = await generate(ours, tokenizer, [{ tokens: other }], {
        maxTokens: newTokens,
        stopAtEos: false,
      });
      const sequence = context.getSequence();
      const theirs: number[] = [];
      for await (const token of sequence.evaluate(other as never, { temperature: 0 })) {
        theirs.push(token as number);
        if (theirs.length >= newTokens) break;
      }
      sequence.dispose();
      const at = mine.tokens.findIndex((token, i) => token !== theirs[i]);
      if (at < 0) whole++;
      else parted.push(`${at}${partingMargin(ours, other, mine.tokens, at)}`);
    }
    line(
      `greedy agreement at ${name} over ${agreementPrompts} more prompts: ${whole} agree on all ${newTokens} tokens${parted.length ? `; the others part at token ${parted.join('; ')}` : ''}`,
    );
    line(
      `decode tokens/s ratio promptune/llama.cpp at ${name}: ${median(rounds.map((round) => round.ours / round.theirs!)).toFixed(2)}x (rounds ${rounds.map((round) => (round.ours / round.theirs!).toFixed(2)).join(', ')})`,
    );
    await context.dispose();
    await peerModel.dispose();
  }
}

/**
 * The 8 x 148 forward (a prefill or a training batch) on a Q4_K_M file's weights kept quantized (decoded
 * 256 rows at a time for sgemm) against the same weights expanded to float32, alternating.
 */
async function quantizedPrefillBenchmark(model: LlamaModel): Promise<void> {
  const path = join(work, 'random-smollm2-shape-q4_k_m.gguf');
  writeGguf(path, model.config, model.weights, { fileType: 'q4_k_m' });
  const kept = await loadGguf(path, { keepQuantized: true });
  const expanded = await loadGguf(path, { keepQuantized: false });
  const models = [kept, expanded].map(
    (loaded) => new LlamaModel(loaded.config, loaded.weights, model.kernels),
  );
  const [B, T] = [8, 148];
  const tokens = randomTokens(B * T, model.config.vocabularySize, 7);
  const seconds: number[][] = [[], []];
  for (let round = 0; round <= repeats; round++)
    models.forEach((each, i) => {
      const start = performance.now();
      each.forward({ batch: B, time: T, tokens });
      if (round > 0) seconds[i].push((performance.now() - start) / 1000);
    });
  const [quantized, float] = seconds.map(median);
  line(
    `forward ${B}x${T} on Q4_K_M weights kept quantized: ${quantized.toFixed(3)} s; expanded to float32: ${float.toFixed(3)} s (quantized/float32 time ${(quantized / float).toFixed(2)})`,
  );
}

mkdirSync(work, { recursive: true });
const kernels = defaultKernels();
line(`building a random-weight model with SmolLM2-135M's shape (${kernels.name} kernels)...`);
const model = randomModel(smolLm2Shape, kernels);
if (process.env.BENCH_ONLY !== 'decode') await forwardBenchmark(model);
await decodeBenchmark(model);
if (process.env.BENCH_ONLY !== 'decode') await quantizedPrefillBenchmark(model);
