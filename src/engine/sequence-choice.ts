// A row whose constraint allows only a few whole token sequences (a label set) is decided by the
// sequences' likelihoods instead of token by token: the most likely one at temperature 0 (what
// log-likelihood accuracy measures), else one drawn in proportion to its probability^(1/temperature);
// its margin is the likeliest sequence's log-likelihood over the runner-up's.
// Greedy token-by-token choice would pick by the first token alone (" b" of " bird" wins whenever
// " b..." words are likely). Top-k and top-p do not apply to such a choice.
import { continuationLikelihoods } from './continuation-likelihoods.js';
import { outputNotFinite } from './output-check.js';
import type { Generation, GenerationOptions, PromptInput } from './generation-types.js';
import type { LlamaModel } from './llama.js';
import { seededRandom } from './random.js';
import { TextStream } from './text-stream.js';
import type { Tokenizer } from './tokenizers/types.js';

/** The row's result when its constraint is a set of sequences and its prompt is tokens; else undefined. */
export function chooseSequence(
  model: LlamaModel,
  tokenizer: Tokenizer,
  prompt: PromptInput,
  options: GenerationOptions,
): Generation | undefined {
  const sequences = options.constraint?.sequences;
  if (!sequences || sequences.length === 0 || prompt.embeddings) return undefined;
  // a label set whose longest label does not fit the context decodes token by token (within its budget)
  const before = options.prefix ? options.prefix.lengths[0] : 0;
  const longest = Math.max(...sequences.map((sequence) => sequence.length));
  if (before + prompt.tokens.length + longest > model.config.contextLength) return undefined;
  const scores = continuationLikelihoods(
    model,
    prompt.tokens,
    sequences.map((sequence) => [...sequence]),
    options.prefix,
    options.adapter,
  );
  // an overflowed forward pass (its adapter's, its weights') scores no label: refused, not the first one
  const broken = scores.findIndex((score) => score !== score || score === Infinity);
  if (broken >= 0)
    throw outputNotFinite(
      `likelihood of the label ${JSON.stringify(tokenizer.decode([...sequences[broken]]))} is ${scores[broken]}`,
    );
  let chosen = scores.indexOf(Math.max(...scores));
  const temperature = options.temperature ?? 0;
  if (temperature > 0) {
    const weights = scores.map((score) => Math.exp((score - scores[chosen]) / temperature));
    let draw = seededRandom(options.seed ?? 0)() * weights.reduce((sum, weight) => sum + weight, 0);
    chosen = weights.findIndex((weight) => (draw -= weight) < 0);
    if (chosen < 0) chosen = weights.length - 1;
  }
  const maxTokens = options.maxTokens ?? 128;
  const tokens = sequences[chosen].slice(0, maxTokens);
  const stream = new TextStream(tokenizer, prompt.tokens); // a constraint ends the output, not stop strings
  stream.push(tokens, true);
  const finishReason = tokens.length < sequences[chosen].length ? 'length' : 'stop';
  // how sure the model was: the log-likelihood margin of the likeliest label over the runner-up (what a
  // token's margin is to token-by-token decoding; the review's low-confidence rule reads it)
  // (a runner-up of no likelihood at all leaves no finite margin: none is given)
  const [first, second] = [...scores].sort((a, b) => b - a);
  const margin = second === undefined ? NaN : first - second;
  return { tokens, text: stream.text, finishReason, ...(Number.isFinite(margin) && { margin }) };
}
