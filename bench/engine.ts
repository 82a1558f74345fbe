// npm run bench:engine — the local engine against its peers, measured in the same run:
//  1. forward throughput, batch 8 x 148 tokens, vs PyTorch CPU (bench/engine_torch.py) on the same
//     random SmolLM2-135M-shaped weights and tokens; logits are compared to show it is the same work;
//  2. batch-1 greedy decode tokens/s vs llama.cpp (node-llama-cpp) on the same weights written as an
//     F32 GGUF by our writer.
// Prints each ratio on its own line. Peers that are not installed are skipped with a message.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  defaultKernels,
  generate,
  nativeThreading,
  seededRandom,
  writeGguf,
  type LlamaModel,
  type Tokenizer,
} from '../src/engine/index.js';
import { randomModel, smolLm2Shape, syntheticVocabulary } from './random-model.js';
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
    `forward ${B}x${T} promptune (${model.kernels.name} kernels, ${nativeThreading() ?? 'no'} threading, ${threads} threads): ${ours.toFixed(3)} s median of ${repeats} (${((B * T) / ours).toFixed(0)} tokens/s)`,
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

/** A SentencePiece-style vocabulary for the random model, so llama.cpp accepts the GGUF. */
async function decodeBenchmark(model: LlamaModel): Promise<void> {
  const newTokens = 64;
  const prompt = Array.from(randomTokens(16, model.config.vocabularySize, 9));
  // decoding ids only; no text is produced, so a stand-in tokenizer suffices for our generate()
  const tokenizer = {
    eosTokenIds: [],
    decode: () => '',
    encode: () => [],
    isSpecial: () => false,
  } as unknown as Tokenizer;
  await generate(model, tokenizer, [{ tokens: prompt }], { maxTokens: 4 }); // warm-up
  const ourRuns: number[] = [];
  let ourTokens: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    const [result] = await generate(model, tokenizer, [{ tokens: prompt }], {
      maxTokens: newTokens,
      stopAtEos: false,
    });
    ourRuns.push((performance.now() - start) / 1000);
    ourTokens = result.tokens;
  }
  const ours = newTokens / median(ourRuns);
  line(
    `decode batch 1 promptune: ${ours.toFixed(1)} tokens/s (${newTokens} greedy tokens after a ${prompt.length}-token prompt, median of ${repeats})`,
  );

  const peer = join(here, 'node_modules', 'node-llama-cpp', 'dist', 'index.js');
  if (!existsSync(peer)) {
    line('decode llama.cpp: skipped (run `npm install --prefix bench` to install node-llama-cpp)');
    return;
  }
  const ggufPath = join(work, 'random-smollm2-shape-f32.gguf');
  writeGguf(ggufPath, model.config, model.weights, {
    metadata: syntheticVocabulary(model.config.vocabularySize),
    name: 'random SmolLM2-135M shape',
  });
  const { getLlama } = (await import(peer)) as typeof import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  const peerModel = await llama.loadModel({ modelPath: ggufPath });
  const context = await peerModel.createContext({ contextSize: 256, threads, batchSize: 256 });
  const runs: number[] = [];
  let theirTokens: number[] = [];
  for (let i = 0; i <= repeats; i++) {
    const sequence = context.getSequence();
    const start = performance.now();
    const generated: number[] = [];
    for await (const token of sequence.evaluate(prompt as never, { temperature: 0 })) {
      generated.push(token as number);
      if (generated.length >= newTokens) break;
    }
    if (i > 0) runs.push((performance.now() - start) / 1000); // first run is the warm-up
    theirTokens = generated;
    sequence.dispose();
  }
  const theirs = newTokens / median(runs);
  const agree = ourTokens.findIndex((token, i) => token !== theirTokens[i]);
  line(
    `decode batch 1 llama.cpp (node-llama-cpp, F32 GGUF, ${threads} threads): ${theirs.toFixed(1)} tokens/s; greedy tokens agree for ${agree < 0 ? newTokens : agree} of ${newTokens}`,
  );
  line(`decode tokens/s ratio promptune/llama.cpp: ${(ours / theirs).toFixed(2)}x`);
  await context.dispose();
  await peerModel.dispose();
}

mkdirSync(work, { recursive: true });
const kernels = defaultKernels();
line(`building a random-weight model with SmolLM2-135M's shape (${kernels.name} kernels)...`);
const model = randomModel(smolLm2Shape, kernels);
await forwardBenchmark(model);
await decodeBenchmark(model);
