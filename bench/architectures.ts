// npm run bench:architectures — not a timing: the newer architectures' fixtures (transformers' own tiny
// checkpoints, test/fixtures/tiny-*) written as GGUF by our writer and run by llama.cpp (node-llama-cpp),
// whose greedy tokens are compared with transformers' (reference.json). Shows that the GGUFs we write
// use llama.cpp's names, metadata and RoPE layout for each architecture.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeGguf } from '../src/engine/index.js';
import { loadHuggingFaceDirectory } from '../src/engine/weights/hf-directory.js';
import { syntheticVocabulary } from './random-model.js';
import { line } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));
const work = join(here, '.out', 'architectures');
const fixtures = ['tiny-qwen3', 'tiny-smollm3', 'tiny-llama32'];

const peer = join(here, 'node_modules', 'node-llama-cpp', 'dist', 'index.js');
if (!existsSync(peer)) {
  line('llama.cpp: skipped (run `npm install --prefix bench` to install node-llama-cpp)');
  process.exit(0);
}
mkdirSync(work, { recursive: true });
const { getLlama } = (await import(peer)) as typeof import('node-llama-cpp');
const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
let agreeing = 0;
for (const name of fixtures) {
  const folder = join(here, '..', 'test', 'fixtures', name);
  const reference = JSON.parse(readFileSync(join(folder, 'reference.json'), 'utf8')) as {
    greedyPrompt: number[];
    greedy: number[];
  };
  const { config, weights } = loadHuggingFaceDirectory(folder);
  const path = join(work, `${name}.gguf`);
  // a stand-in SentencePiece vocabulary: llama.cpp needs one to load the file; ids are all we compare
  writeGguf(path, config, weights, { metadata: syntheticVocabulary(config.vocabularySize), name });
  const model = await llama.loadModel({ modelPath: path });
  const context = await model.createContext({ contextSize: 64 });
  const sequence = context.getSequence();
  const tokens: number[] = [];
  for await (const token of sequence.evaluate(reference.greedyPrompt as never, { temperature: 0 })) {
    tokens.push(token as number);
    if (tokens.length >= reference.greedy.length) break;
  }
  const same = tokens.every((token, i) => token === reference.greedy[i]);
  if (same) agreeing++;
  line(
    `${name} (${config.architecture}): llama.cpp on our GGUF ${JSON.stringify(tokens)}, transformers ${JSON.stringify(reference.greedy)}: ${same ? 'the same' : 'DIFFERENT'}`,
  );
  await context.dispose();
  await model.dispose();
}
line(`greedy tokens agree for ${agreeing} of ${fixtures.length} architectures`);
