// npm run bench:guard — what guards cost, measured in the same run:
//  a. validator overhead: every non-LLM validator together (JSON Schema, labels, regex match and
//     forbid, length in characters and tokens, banned phrases, all PII kinds, refusals, a custom
//     function) on 2 KB responses, p50 and p99 per response (target p99 <= 1 ms);
//  b. constrained decoding on a random-weight SmolLM2-135M-shaped model whose vocabulary is GPT-2's
//     pieces written SentencePiece-style (so masks walk a realistic 49,152-token trie): tokens/s with
//     and without the contact-extraction JSON Schema (target: at most 10% slower), next to llama.cpp's
//     JSON-schema grammar sampling (node-llama-cpp) on the same GGUF and schema (target >= 1.0x).
// BENCH_ONLY=a|b runs one part. Peers that are not installed are skipped with a message.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  defaultKernels,
  generate,
  ggufTokenizer,
  loadTokenizerJson,
  seededRandom,
  writeGguf,
  type LlamaModel,
  type TokenConstraint,
  type Tokenizer,
} from '../src/engine/index.js';
import { compileConstraint, createGuardSet, runChecks, type GuardedValidator } from '../src/guard/index.js';
import { taskSpec } from '../src/tasks/index.js';
import { randomModel, sentencePieceMetadata, smolLm2Shape } from './random-model.js';
import { line, median } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));
const shared = join(here, '..', '..', 'shared');
const work = join(here, '.out', 'guard');
const only = process.env.BENCH_ONLY;
const threads = Number(process.env.BENCH_THREADS ?? 2);
const repeats = Number(process.env.BENCH_REPEATS ?? 5);

const contactSchema = {
  type: 'object',
  required: ['name', 'email', 'phone'],
  properties: { name: { type: 'string' }, email: { type: 'string' }, phone: { type: ['string', 'null'] } },
  additionalProperties: false,
};

/** A 2 KB support answer with a little of everything the detectors look at (and nothing they should flag twice). */
function response(index: number): string {
  const paragraph =
    `Thanks for getting in touch about order ${48213 + index}. We shipped it on 2024-05-12 at 14:30 and the ` +
    `invoice (total $1,249.99, VAT 20%) is attached. Version 2.4.1 of the app fixes the sync issue you saw; ` +
    `please update and restart. If the problem persists, write to support@example.com or call +1 415 555 0132. `;
  let text = '';
  while (text.length < 2048) text += paragraph;
  return text.slice(0, 2048);
}

async function validatorOverhead(): Promise<void> {
  const gpt2 = await loadTokenizerJson(join(shared, 'models', 'gpt2-tokenizer'));
  const spec = taskSpec.parse({
    name: 'support',
    prompt: { template: '{{input}}' },
    guards: {
      output: [
        { validator: 'json-schema', schema: contactSchema },
        { validator: 'labels', labels: ['billing', 'shipping', 'technical'] },
        { validator: 'regex', name: 'ticket', pattern: 'Ticket [A-Z]{3}-\\d{4}.*', flags: 's' },
        { validator: 'regex', name: 'no-urls', pattern: 'https?://\\S+', mode: 'forbid' },
        { validator: 'length', minCharacters: 20, maxCharacters: 4000, maxTokens: 1000 },
        { validator: 'banned', phrases: ['guaranteed', 'lawsuit', 'refund immediately', 'free money'] },
        { validator: 'pii' },
        { validator: 'refusal' },
      ],
    },
  });
  const set = await createGuardSet(spec.guards, { task: spec, baseDirectory: here });
  const validators: GuardedValidator[] = [
    ...set.output,
    {
      validator: {
        name: 'custom',
        kind: 'custom',
        prefixFailures: false,
        check: (text) => ({ passed: !text.includes('\u0000'), issues: [] }),
      },
      onFail: 'noop',
    },
  ];
  const countTokens = (text: string) => gpt2.encode(text, { addBos: false }).length;
  const texts = Array.from({ length: 64 }, (_, index) => response(index));
  // a guarded call has the model's own count of its answer (usage.outputTokens): nothing is re-tokenized
  const counted = texts.map((text) => ({ text, tokens: countTokens(text) }));
  const runs = Number(process.env.BENCH_RUNS ?? 5000);
  const p = (values: number[], q: number) =>
    [...values].sort((a, b) => a - b)[Math.floor(q * (values.length - 1))];
  for (const known of [true, false]) {
    const contextOf = (index: number) => ({
      countTokens,
      ...(known && { knownTokens: counted[index % 64] }),
    });
    for (let i = 0; i < 500; i++)
      await runChecks(texts[i % 64], validators, { stage: 'output', refrain: '', context: contextOf(i) });
    const all: number[] = [];
    const perValidator = new Map<string, number[]>();
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      const result = await runChecks(texts[i % 64], validators, {
        stage: 'output',
        refrain: '',
        context: contextOf(i),
      });
      all.push(performance.now() - start);
      for (const outcome of result.outcomes) {
        const list = perValidator.get(outcome.validator) ?? [];
        list.push(outcome.latencyMs);
        perValidator.set(outcome.validator, list);
      }
    }
    line(
      `(a) ${validators.length} validators on a 2 KB response, ${runs} runs, ${known ? "with the model's token count (as guarded calls have it)" : "re-tokenizing with GPT-2's tokenizer (@huggingface/tokenizers)"}: p50 ${p(all, 0.5).toFixed(3)} ms, p99 ${p(all, 0.99).toFixed(3)} ms (target p99 <= 1 ms)`,
    );
    line(
      `    p50 per validator: ${[...perValidator].map(([name, values]) => `${name} ${(p(values, 0.5) * 1000).toFixed(0)} us`).join(', ')}`,
    );
  }
}

/** GPT-2's pieces as a SentencePiece vocabulary of `size` (control tokens, 256 byte tokens, then pieces). */
function gpt2PieceVocabulary(size: number) {
  const vocabulary = JSON.parse(
    readFileSync(join(shared, 'models', 'gpt2-tokenizer', 'vocab.json'), 'utf8'),
  ) as Record<string, number>;
  // GPT-2's byte-to-character table, inverted, so each piece becomes its real text
  const printable = [
    ...Array.from({ length: 94 }, (_, i) => 33 + i),
    ...Array.from({ length: 12 }, (_, i) => 161 + i),
    ...Array.from({ length: 82 }, (_, i) => 174 + i),
  ];
  const byteOf = new Map<string, number>();
  let extra = 0;
  for (let byte = 0; byte < 256; byte++)
    byteOf.set(String.fromCodePoint(printable.includes(byte) ? byte : 256 + extra++), byte);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const tokens = [
    '<unk>',
    '<s>',
    '</s>',
    ...Array.from({ length: 256 }, (_, i) => `<0x${i.toString(16).toUpperCase().padStart(2, '0')}>`),
  ];
  const seen = new Set(tokens);
  for (const [piece] of Object.entries(vocabulary).sort((a, b) => a[1] - b[1])) {
    if (tokens.length >= size) break;
    let text: string;
    try {
      text = decoder.decode(Uint8Array.from([...piece].map((character) => byteOf.get(character) ?? 63)));
    } catch {
      continue; // part of a character: the byte tokens cover it
    }
    const sentencePiece = text.replaceAll(' ', '▁');
    if (text.length < 2 || seen.has(sentencePiece)) continue;
    seen.add(sentencePiece);
    tokens.push(sentencePiece);
  }
  while (tokens.length < size) tokens.push(`▁t${tokens.length}`);
  return sentencePieceMetadata(tokens);
}

/** One generation's tokens per second and its text. */
async function ourRun(
  model: LlamaModel,
  tokenizer: Tokenizer,
  prompt: number[],
  maxTokens: number,
  constraint: TokenConstraint | undefined,
  seed: number,
) {
  const start = performance.now();
  const [result] = await generate(model, tokenizer, [{ tokens: prompt }], {
    maxTokens,
    stopAtEos: false,
    constraint,
    seed,
  });
  return { rate: result.tokens.length / ((performance.now() - start) / 1000), text: result.text };
}

type Run = { rate: number; text: string };

/** llama.cpp through node-llama-cpp on the same GGUF; undefined when the peer is not installed. */
async function llamaCppPeer(model: LlamaModel, metadata: ReturnType<typeof gpt2PieceVocabulary>) {
  const peer = join(here, 'node_modules', 'node-llama-cpp', 'dist', 'index.js');
  if (!existsSync(peer)) return undefined;
  mkdirSync(work, { recursive: true });
  const ggufPath = join(work, 'random-smollm2-shape-gpt2-pieces-f32.gguf');
  writeGguf(ggufPath, model.config, model.weights, { metadata, name: 'random SmolLM2-135M shape' });
  const { getLlama, LlamaGrammarEvaluationState } = (await import(peer)) as typeof import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  const peerModel = await llama.loadModel({ modelPath: ggufPath });
  const context = await peerModel.createContext({ contextSize: 256, threads, batchSize: 256 });
  const grammar = await llama.createGrammarForJsonSchema(contactSchema as never);
  const run = async (prompt: number[], maxTokens: number, withGrammar: boolean): Promise<Run> => {
    const sequence = context.getSequence();
    const state = withGrammar ? new LlamaGrammarEvaluationState({ model: peerModel, grammar }) : undefined;
    const generated: number[] = [];
    const start = performance.now();
    for await (const token of sequence.evaluate(prompt as never, {
      temperature: 0,
      grammarEvaluationState: state,
    })) {
      if ((token as number) === 2) break;
      generated.push(token as number);
      if (generated.length >= maxTokens) break;
    }
    const rate = generated.length / ((performance.now() - start) / 1000);
    sequence.dispose();
    return { rate, text: peerModel.detokenize(generated as never) };
  };
  const dispose = async () => {
    await context.dispose();
    await peerModel.dispose();
  };
  return { run, dispose };
}

async function constrainedDecoding(): Promise<void> {
  line(
    "(b) building a random-weight model with SmolLM2-135M's shape and GPT-2's pieces as its vocabulary...",
  );
  const model = randomModel(smolLm2Shape, defaultKernels());
  const metadata = gpt2PieceVocabulary(smolLm2Shape.vocabularySize);
  const tokenizer = ggufTokenizer(
    Object.fromEntries(Object.entries(metadata).map(([key, entry]) => [key, entry.value])),
    'bench vocabulary',
  );
  const random = seededRandom(5);
  const prompt = [1, ...Array.from({ length: 15 }, () => 259 + Math.floor(random() * 40000))];
  const maxTokens = 48;
  const constraint = compileConstraint({ kind: 'json-schema', schema: contactSchema }, tokenizer);
  const peer = await llamaCppPeer(model, metadata);
  if (!peer) line('    llama.cpp: skipped (run `npm install --prefix bench` to install node-llama-cpp)');
  // The four kinds of run alternate round by round, so a slow spell of a shared machine slows both
  // engines alike; the ratio is the median of each round's own ratio. Round 0 warms up and is dropped.
  const rounds: { free: Run; constrained: Run; theirFree?: Run; theirs?: Run }[] = [];
  for (let round = 0; round <= repeats; round++) {
    const free = await ourRun(model, tokenizer, prompt, maxTokens, undefined, round);
    const constrained = await ourRun(model, tokenizer, prompt, maxTokens, constraint, round);
    const theirFree = await peer?.run(prompt, maxTokens, false);
    const theirs = await peer?.run(prompt, maxTokens, true);
    if (round > 0) rounds.push({ free, constrained, theirFree, theirs });
  }
  const rate = (pick: (round: (typeof rounds)[number]) => Run | undefined) =>
    median(rounds.map((round) => pick(round)!.rate));
  const last = rounds[rounds.length - 1];
  line(
    `    promptune unconstrained: ${rate((round) => round.free).toFixed(1)} tokens/s; JSON Schema: ${rate((round) => round.constrained).toFixed(1)} tokens/s, e.g. ${JSON.stringify(last.constrained.text.slice(0, 120))}`,
  );
  line(
    `    constrained/unconstrained (promptune): ${median(rounds.map((round) => round.constrained.rate / round.free.rate)).toFixed(3)} (target >= 0.90; median of ${rounds.length} interleaved rounds)`,
  );
  if (!peer) return;
  line(
    `    llama.cpp (node-llama-cpp, F32, ${threads} threads) unconstrained: ${rate((round) => round.theirFree).toFixed(1)} tokens/s; JSON-schema grammar: ${rate((round) => round.theirs).toFixed(1)} tokens/s, e.g. ${JSON.stringify(last.theirs!.text.slice(0, 120))}`,
  );
  const ratios = rounds.map((round) => round.constrained.rate / round.theirs!.rate);
  line(
    `    constrained tokens/s ratio promptune/llama.cpp: ${median(ratios).toFixed(2)}x (target >= 1.0; rounds ${ratios.map((ratio) => ratio.toFixed(2)).join(', ')})`,
  );
  line(
    `    unconstrained tokens/s ratio promptune/llama.cpp: ${median(rounds.map((round) => round.free.rate / round.theirFree!.rate)).toFixed(2)}x`,
  );
  await peer.dispose();
}

if (!only || only === 'a') await validatorOverhead();
if (!only || only === 'b') await constrainedDecoding();
