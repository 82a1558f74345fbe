// Explanations of a soft prompt on the local engine: what each virtual token reads as (its nearest
// vocabulary tokens by cosine and by Euclidean distance), what each contributes (exact match and loss
// with the token zeroed, and with it removed, against the whole prompt, with a paired bootstrap
// interval on the exact-match change), and which input tokens the answer leans on (gradient × input
// saliency from the engine's input gradients, with the share that falls on the soft prompt itself).
import { inputGradients, tokenTexts, type LlamaModel, type Tokenizer } from '../engine/index.js';
import { pairedBootstrap } from '../eval/index.js';
import {
  buildBatch,
  evaluatePrompt,
  nearestTokens,
  type SoftPrompt,
  type TokenizedExample,
} from '../soft/index.js';

/** How the scores move without one virtual token. */
export interface Ablation {
  exactMatch: number;
  /** Exact match without the token minus with it, and its 95% paired bootstrap interval. */
  effect: number;
  interval: [number, number];
  loss: number;
  lossEffect: number;
}

/** One virtual token explained. */
export interface VirtualTokenExplanation {
  position: number;
  norm: number;
  cosine: { text: string; cosine: number }[];
  l2: { text: string; distance: number }[];
  zeroed: Ablation;
  removed: Ablation;
}

/** Gradient × input over one example's tokens. */
export interface Saliency {
  /** The example's position among those explained. */
  example: number;
  /** Share of the saliency on the soft prompt's positions (the rest is on the input's tokens). */
  promptShare: number;
  /** The input's tokens with their share of the input's saliency (summing to 1). */
  tokens: { text: string; saliency: number }[];
}

/** What explaining a soft prompt found. */
export interface SoftExplanation {
  kind: 'soft';
  n: number;
  virtualTokens: number;
  original: { exactMatch: number; loss: number };
  tokens: VirtualTokenExplanation[];
  saliency: Saliency[];
}

/** A prompt with virtual token `position` zeroed, or removed. */
function ablated(prompt: SoftPrompt, position: number, how: 'zeroed' | 'removed'): SoftPrompt {
  const C = prompt.hiddenSize;
  if (how === 'zeroed') {
    const values = prompt.values.slice();
    values.fill(0, position * C, (position + 1) * C);
    return { ...prompt, values };
  }
  const values = new Float32Array((prompt.virtualTokens - 1) * C);
  values.set(prompt.values.subarray(0, position * C), 0);
  values.set(prompt.values.subarray((position + 1) * C), position * C);
  return { ...prompt, virtualTokens: prompt.virtualTokens - 1, values };
}

/** Explains `prompt` on `examples` (saliency on the first `saliencyExamples` of them, default 8). */
export function explainSoftPrompt(
  model: LlamaModel,
  tokenizer: Tokenizer,
  prompt: SoftPrompt,
  examples: TokenizedExample[],
  options: {
    nearest?: number;
    saliencyExamples?: number;
    seed?: number;
    resamples?: number;
    onProgress?: (done: number, total: number) => void;
  } = {},
): SoftExplanation {
  const count = options.nearest ?? 5;
  const total = 1 + 2 * prompt.virtualTokens;
  let done = 0;
  const evaluated = (which: SoftPrompt) => {
    const result = evaluatePrompt(model, which, examples);
    options.onProgress?.(++done, total);
    return result;
  };
  const original = evaluated(prompt);
  const asNumbers = (correct: boolean[]) => correct.map((hit) => (hit ? 1 : 0));
  const ablation = (which: SoftPrompt): Ablation => {
    const result = evaluated(which);
    const paired = pairedBootstrap(asNumbers(original.correct), asNumbers(result.correct), {
      seed: options.seed ?? 0,
      resamples: options.resamples ?? 1000,
    });
    return {
      exactMatch: result.exactMatch,
      effect: paired.difference,
      interval: paired.interval,
      loss: result.loss,
      lossEffect: result.loss - original.loss,
    };
  };
  const byCosine = nearestTokens(model, tokenizer, prompt, count, 'cosine');
  const byDistance = nearestTokens(model, tokenizer, prompt, count, 'l2');
  const C = prompt.hiddenSize;
  const tokens = Array.from({ length: prompt.virtualTokens }, (_, position) => {
    let squares = 0;
    for (let i = position * C; i < (position + 1) * C; i++) squares += prompt.values[i] ** 2;
    return {
      position,
      norm: Math.sqrt(squares),
      cosine: byCosine[position].map(({ text, cosine }) => ({ text, cosine })),
      l2: byDistance[position].map(({ text, distance }) => ({ text, distance })),
      zeroed: ablation(ablated(prompt, position, 'zeroed')),
      removed: ablation(ablated(prompt, position, 'removed')),
    };
  });
  return {
    kind: 'soft',
    n: examples.length,
    virtualTokens: prompt.virtualTokens,
    original: { exactMatch: original.exactMatch, loss: original.loss },
    tokens,
    saliency: examples
      .slice(0, options.saliencyExamples ?? 8)
      .map((example, index) => saliencyOf(model, tokenizer, prompt, example, index)),
  };
}

/** Gradient × input of one example's loss on its target, per position. */
function saliencyOf(
  model: LlamaModel,
  tokenizer: Tokenizer,
  prompt: SoftPrompt,
  example: TokenizedExample,
  index: number,
): Saliency {
  const batch = buildBatch(model, prompt, [example]);
  const { dembeddings } = inputGradients(model, batch);
  const C = model.config.hiddenSize;
  const N = prompt.virtualTokens;
  const attribution = (position: number) => {
    let sum = 0;
    for (let i = position * C; i < (position + 1) * C; i++) sum += dembeddings[i] * batch.embeddings[i];
    return Math.abs(sum);
  };
  const bos = example.bos ?? true;
  // the input's own tokens (BOS aside) sit after the prompt and BOS, up to where the target starts
  const inputIds = bos ? example.inputIds.slice(1) : example.inputIds;
  const inputStart = batch.targetStarts[0] - inputIds.length;
  const promptPositions = Array.from({ length: N }, (_, i) => batch.promptStart + i);
  const promptSum = promptPositions.reduce((sum, position) => sum + attribution(position), 0);
  const inputScores = inputIds.map((_, i) => attribution(inputStart + i));
  const inputSum = inputScores.reduce((sum, value) => sum + value, 0);
  const texts = tokenTexts(tokenizer);
  return {
    example: index,
    promptShare: promptSum + inputSum === 0 ? 0 : promptSum / (promptSum + inputSum),
    tokens: inputIds.map((id, i) => ({
      text: texts[id] ?? tokenizer.decode([id]),
      saliency: inputSum === 0 ? 0 : inputScores[i] / inputSum,
    })),
  };
}
