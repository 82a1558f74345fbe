// Scores a soft prompt on examples: exact match of the target (the argmax at every target position,
// teacher forced, which equals greedy generation of the target), log-likelihood accuracy over candidate
// labels, and the loss and perplexity on the targets. Batched; nothing is generated token by token.
// A LoRA adapter, when given, runs in every row (with no prompt vectors, see noPrompt, that is LoRA alone).
import { argmax, checkAdapterPlaced, type LlamaModel, type ModelAdapter } from '../engine/index.js';
import { buildBatch, type TokenizedExample } from './sequences.js';
import type { SoftPrompt } from './soft-prompt.js';

/** What evaluation measures. */
export interface PromptEvaluation {
  n: number;
  exactMatch: number;
  /** Share of examples whose target scores highest among the candidates (label tasks only). */
  likelihoodAccuracy?: number;
  loss: number;
  perplexity: number;
  /** Per example: whether the target was produced exactly. */
  correct: boolean[];
  /** Per example (label tasks only): whether the target scored highest among the candidates. */
  labelCorrect?: boolean[];
}

/** Per row: the target's log-likelihood (sum over its tokens) and whether every argmax hit. */
function scoreRows(
  model: LlamaModel,
  prompt: SoftPrompt,
  rows: TokenizedExample[],
  adapter: ModelAdapter | undefined,
): { logLikelihood: number[]; exact: boolean[]; tokens: number } {
  const batch = buildBatch(model, prompt, rows);
  checkAdapterPlaced(adapter, batch.promptStart === 0 ? prompt.virtualTokens : 0);
  const V = model.config.vocabularySize;
  const logits = model.forward({
    batch: batch.batch,
    time: batch.time,
    embeddings: batch.embeddings,
    lengths: batch.lengths,
    adapters: adapter && new Array<ModelAdapter>(batch.batch).fill(adapter),
  });
  const losses = new Float32Array(batch.batch * batch.time);
  model.kernels.crossEntropyForward(losses, logits, batch.targets, batch.batch * batch.time, V);
  const logLikelihood: number[] = [];
  const exact: boolean[] = [];
  let tokens = 0;
  rows.forEach((row, b) => {
    let sum = 0;
    let hit = true;
    row.targetIds.forEach((id, j) => {
      const position = b * batch.time + batch.targetStarts[b] + j - 1;
      sum -= losses[position];
      if (argmax(logits.subarray(position * V, (position + 1) * V)) !== id) hit = false;
    });
    tokens += row.targetIds.length;
    logLikelihood.push(sum);
    exact.push(hit);
  });
  return { logLikelihood, exact, tokens };
}

/**
 * Evaluates `prompt` on `examples`. With `candidates` (each example's label alternatives, tokenized as
 * continuations of its input, the true target among them), also log-likelihood accuracy.
 */
export function evaluatePrompt(
  model: LlamaModel,
  prompt: SoftPrompt,
  examples: TokenizedExample[],
  options: {
    batchSize?: number;
    candidates?: TokenizedExample[][];
    labels?: string[];
    adapter?: ModelAdapter;
  } = {},
): PromptEvaluation {
  const batchSize = options.batchSize ?? 16;
  const correct: boolean[] = [];
  let totalLogLikelihood = 0;
  let totalTokens = 0;
  for (let start = 0; start < examples.length; start += batchSize) {
    const rows = examples.slice(start, start + batchSize);
    const scored = scoreRows(model, prompt, rows, options.adapter);
    correct.push(...scored.exact);
    totalLogLikelihood += scored.logLikelihood.reduce((sum, value) => sum + value, 0);
    totalTokens += scored.tokens;
  }
  const labelCorrect = options.candidates?.map((alternatives, i) => {
    const { logLikelihood } = scoreRows(model, prompt, alternatives, options.adapter);
    // ties go to the first candidate, as the shared datasets' scoring rule says
    const best = logLikelihood.indexOf(Math.max(...logLikelihood));
    const truth = alternatives.findIndex(
      (candidate) => candidate.targetIds.join() === examples[i].targetIds.join(),
    );
    return best === truth;
  });
  const loss = -totalLogLikelihood / Math.max(1, totalTokens);
  return {
    n: examples.length,
    exactMatch: correct.filter(Boolean).length / Math.max(1, examples.length),
    likelihoodAccuracy: labelCorrect && labelCorrect.filter(Boolean).length / examples.length,
    loss,
    perplexity: Math.exp(loss),
    correct,
    ...(labelCorrect && { labelCorrect }),
  };
}
