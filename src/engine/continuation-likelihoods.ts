// The log-likelihood of each of several continuations of one prompt (teacher forced, summed over the
// continuation's tokens, no length normalisation): the prompt is prefilled once, its cache copied to one
// row per continuation, and the continuations run together in one forward pass. This is how a label is
// chosen exactly among a label set (what log-likelihood accuracy measures); sampling is not done here.
import { ValidationError } from '../errors/index.js';
import type { KVCache } from './kv-cache.js';
import type { LlamaModel } from './llama.js';
import { checkAdapterPlaced, type ModelAdapter } from './model-adapter.js';

/** log Σ exp over one row of logits. */
function logSumExp(row: Float32Array): number {
  let maximum = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > maximum) maximum = row[i];
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - maximum);
  return maximum + Math.log(sum);
}

/**
 * Per continuation, the sum of its tokens' log-probabilities after `prompt` (which follows `prefix`, a
 * one-row cache, when given: a soft prompt, say), with every pass running `adapter` when given (LoRA, or a prefix the cache
 * already holds the placeholders of).
 */
export function continuationLikelihoods(
  model: LlamaModel,
  prompt: number[],
  continuations: number[][],
  prefix?: KVCache,
  adapter?: ModelAdapter,
): number[] {
  if (
    prompt.length === 0 ||
    continuations.length === 0 ||
    continuations.some((tokens) => tokens.length === 0)
  )
    throw new ValidationError('scoring continuations needs a prompt and non-empty continuations', {
      code: 'CONTINUATIONS_EMPTY',
      hint: 'Give at least one prompt token and one token per continuation.',
    });
  const V = model.config.vocabularySize;
  const K = continuations.length;
  const before = prefix ? prefix.lengths[0] : 0;
  checkAdapterPlaced(adapter, before);
  const longest = Math.max(...continuations.map((tokens) => tokens.length));
  if (before + prompt.length + longest > model.config.contextLength)
    throw new ValidationError(
      `the prompt (${before + prompt.length} tokens) and a continuation of ${longest} exceed the context of ${model.config.contextLength}`,
      { code: 'CONTEXT_OVERFLOW', hint: 'Shorten the prompt.' },
    );
  const single = model.createCache(1, before + prompt.length);
  if (prefix) single.copyRow(prefix, 0, 0);
  const last = model.forward({
    batch: 1,
    time: prompt.length,
    tokens: Int32Array.from(prompt),
    cache: single,
    logits: 'last',
    adapters: adapter && [adapter],
  });
  const lastNormalizer = logSumExp(last);
  // continuations after their first token: right-padded rows over copies of the prompt's cache
  const T = longest - 1;
  const scores = continuations.map((tokens) => last[tokens[0]] - lastNormalizer);
  if (T === 0) return scores;
  const cache = model.createCache(K, before + prompt.length + T);
  for (let row = 0; row < K; row++) cache.copyRow(single, 0, row);
  const tokens = new Int32Array(K * T);
  const lengths = new Int32Array(K);
  continuations.forEach((continuation, row) => {
    // each row feeds all but its last token (at least one, so padding rows still run)
    const fed = continuation.slice(0, -1);
    lengths[row] = Math.max(1, fed.length);
    tokens.set(fed.length ? fed : [continuation[0]], row * T);
  });
  const logits = model.forward({
    batch: K,
    time: T,
    tokens,
    lengths,
    cache,
    logits: 'all',
    adapters: adapter && new Array<ModelAdapter>(K).fill(adapter),
  });
  continuations.forEach((continuation, row) => {
    for (let j = 1; j < continuation.length; j++) {
      const at = (row * T + j - 1) * V;
      const position = logits.subarray(at, at + V);
      scores[row] += position[continuation[j]] - logSumExp(position);
    }
  });
  return scores;
}
