// npm run bench:architectures — not a timing: the newer architectures' fixtures (transformers' own tiny
// checkpoints, test/fixtures/tiny-*) written as GGUF by our writer and run by llama.cpp (node-llama-cpp),
// whose greedy tokens are compared with transformers' (reference.json), or for Phi-3 with ours without the
// sliding window, which llama.cpp does not apply to Phi-3. Shows that the GGUFs we write
// use llama.cpp's names, metadata and RoPE layout for each architecture.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultKernels, generate, LlamaModel, writeGguf } from '../src/engine/index.js';
import { loadHuggingFaceDirectory } from '../src/engine/weights/hf-directory.js';
import { idsOnlyTokenizer as idTokenizer, syntheticVocabulary } from './random-model.js';
import { line } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));
const work = join(here, '.out', 'architectures');
const fixtures = [
  'tiny-qwen3',
  'tiny-smollm3',
  'tiny-phi3',
  'tiny-llama32',
  'tiny-gemma2',
  'tiny-gemma3',
  'tiny-phi4mini',
];

const peer = join(here, 'node_modules', 'node-llama-cpp', 'dist', 'index.js');
if (!existsSync(peer)) {
  line('llama.cpp: skipped (run `npm install --prefix bench` to install node-llama-cpp)');
  process.exit(0);
}
mkdirSync(work, { recursive: true });
const { getLlama } = (await import(peer)) as typeof import('node-llama-cpp');
const llama = await getLlama({
  gpu: false,
  build: 'never',
  logLevel: (process.env.BENCH_LLAMA_LOG ?? 'error') as never,
});
let agreeing = 0;
for (const name of fixtures) {
  const folder = join(here, '..', 'test', 'fixtures', name);
  const reference = JSON.parse(readFileSync(join(folder, 'reference.json'), 'utf8')) as {
    greedyPrompt: number[];
    greedy: number[];
  };
  const { config, weights } = loadHuggingFaceDirectory(folder);
  const path = join(work, `${name}.gguf`);
  // a stand-in SentencePiece vocabulary: llama.cpp needs one to load the file; ids are all we compare.
  // llama.cpp's Phi-3 looks its special tokens up by text, so they are in it.
  const special =
    config.architecture === 'phi3'
      ? ['<|endoftext|>', '<|end|>', '<|user|>', '<|assistant|>', '<|system|>']
      : [];
  writeGguf(path, config, weights, { metadata: syntheticVocabulary(config.vocabularySize, special), name });
  // llama.cpp does not apply Phi-3's sliding window: compare it with our engine without the window too
  let expected = reference.greedy;
  let note = 'transformers';
  if (config.architecture === 'phi3' && config.slidingWindow) {
    const model = new LlamaModel({ ...config, slidingWindow: undefined }, weights, defaultKernels());
    const [result] = await generate(model, idTokenizer, [{ tokens: reference.greedyPrompt }], {
      maxTokens: reference.greedy.length,
      stopAtEos: false,
      temperature: 0,
    });
    expected = result.tokens;
    note = `promptune without the ${config.slidingWindow}-token window (llama.cpp ignores Phi-3's; with it we give transformers' ${JSON.stringify(reference.greedy)})`;
  }
  const model = await llama.loadModel({ modelPath: path });
  const context = await model.createContext({ contextSize: 64 });
  const sequence = context.getSequence();
  const tokens: number[] = [];
  for await (const token of sequence.evaluate(reference.greedyPrompt as never, { temperature: 0 })) {
    tokens.push(token as number);
    if (tokens.length >= reference.greedy.length) break;
  }
  const same = tokens.every((token, i) => token === expected[i]);
  if (same) agreeing++;
  line(
    `${name} (${config.architecture}): llama.cpp on our GGUF ${JSON.stringify(tokens)}, ${note} ${JSON.stringify(expected)}: ${same ? 'the same' : 'DIFFERENT'}`,
  );
  await context.dispose();
  await model.dispose();
}
line(`greedy tokens agree for ${agreeing} of ${fixtures.length} architectures`);
