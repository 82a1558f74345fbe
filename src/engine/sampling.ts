// Choosing the next token from logits: repetition penalty, temperature, top-k, top-p, then a draw
// from an injected random source (greedy when temperature is 0). Pure functions over one row.
import { ValidationError } from '../errors/index.js';
import { BinaryHeap } from './binary-heap.js';
import { checkScores } from './output-check.js';
import type { Random } from './random.js';

/** How to pick tokens. Defaults: greedy (temperature 0), no top-k/top-p, no penalty. */
export interface SamplingOptions {
  temperature?: number;
  topK?: number;
  topP?: number;
  /** > 1 discourages tokens already in the context (as transformers' RepetitionPenaltyLogitsProcessor). */
  repetitionPenalty?: number;
}

/** Throws a ValidationError for out-of-range sampling options. */
export function validateSampling(options: SamplingOptions): void {
  const check = (ok: boolean, field: string, rule: string) => {
    if (!ok)
      throw new ValidationError(`${field} is out of range: ${rule}`, {
        code: 'SAMPLING_INVALID',
        hint: `Set ${field} so that ${rule}.`,
      });
  };
  const { temperature = 0, topK, topP, repetitionPenalty } = options;
  check(Number.isFinite(temperature) && temperature >= 0, 'temperature', 'temperature >= 0');
  check(topK === undefined || (Number.isInteger(topK) && topK >= 1), 'topK', 'topK is a whole number >= 1');
  check(topP === undefined || (topP > 0 && topP <= 1), 'topP', '0 < topP <= 1');
  check(
    repetitionPenalty === undefined || repetitionPenalty > 0,
    'repetitionPenalty',
    'repetitionPenalty > 0',
  );
}

/** Index of the largest value (the first on ties). */
export function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * Picks the next token from one row of logits. `logits` is modified (penalties applied). Tokens are
 * ranked by logit (ties by id), cut to the top k, then to the smallest head holding top-p of the
 * weight, and one is drawn. Only as much of the ranking as the cut and the draw reach is sorted: a
 * full sort of a 49,152-token vocabulary per token cost more than the forward pass of a small model.
 */
export function sampleToken(
  logits: Float32Array,
  options: SamplingOptions,
  context: Iterable<number>,
  random: Random,
): number {
  checkScores(logits);
  const penalty = options.repetitionPenalty ?? 1;
  if (penalty !== 1) {
    for (const id of new Set(context))
      logits[id] = logits[id] > 0 ? logits[id] / penalty : logits[id] * penalty;
  }
  const temperature = options.temperature ?? 0;
  if (temperature === 0) return argmax(logits);
  const maximum = logits[argmax(logits)];
  const weights = new Float64Array(logits.length);
  for (let id = 0; id < logits.length; id++) weights[id] = Math.exp((logits[id] - maximum) / temperature);
  const byLogit = (a: number, b: number) => logits[b] - logits[a] || a - b;
  // the candidates: the top k, or every token (ranked lazily, see `ranked`)
  const topK = options.topK !== undefined && options.topK < logits.length ? options.topK : undefined;
  const head = topK === undefined ? undefined : topIds(logits, topK).sort(byLogit);
  let total = 0;
  if (head) for (const id of head) total += weights[id];
  else for (let id = 0; id < weights.length; id++) total += weights[id];
  const ranked = (enough: (ids: number[]) => boolean) => head ?? rankedHead(weights, byLogit, enough);
  let candidates: number[] | undefined;
  if (options.topP !== undefined && options.topP < 1) {
    const target = options.topP * total;
    const ids = ranked((ids) => sum(weights, ids) >= target);
    let cumulative = 0;
    let keep = 0;
    while (keep < ids.length && cumulative < target) cumulative += weights[ids[keep++]];
    candidates = ids.slice(0, Math.max(1, keep));
    total = sum(weights, candidates);
  }
  let draw = random() * total;
  const ids = candidates ?? ranked((ids) => sum(weights, ids) > draw);
  for (const id of ids) {
    draw -= weights[id];
    if (draw < 0) return id;
  }
  return ids[ids.length - 1];
}

function sum(weights: Float64Array, ids: number[]): number {
  let total = 0;
  for (const id of ids) total += weights[id];
  return total;
}

/** The ids of the k largest logits (any order): a heap of the k best so far over one pass. */
function topIds(logits: Float32Array, k: number): number[] {
  // its top is the weakest kept id (lowest logit, then highest id: it loses the tie)
  const worse = (a: number, b: number) => logits[a] < logits[b] || (logits[a] === logits[b] && a > b);
  const kept = new BinaryHeap<number>(worse);
  for (let id = 0; id < logits.length; id++) {
    if (kept.size < k) kept.push(id);
    else if (worse(kept.peek()!, id)) kept.replaceTop(id);
  }
  return kept.toArray();
}

/**
 * The best-ranked ids, sorted, as far as `enough` needs: all ids whose weight (relative to the best,
 * which is 1) reaches a threshold, lowered until `enough` holds or every id is in. The weight grows
 * with the logit, so each such set is a head of the full ranking.
 */
function rankedHead(
  weights: Float64Array,
  byLogit: (a: number, b: number) => number,
  enough: (ids: number[]) => boolean,
): number[] {
  for (let threshold = 1e-4; ; threshold = threshold > 1e-200 ? threshold * 1e-8 : 0) {
    const ids: number[] = [];
    for (let id = 0; id < weights.length; id++) if (weights[id] >= threshold) ids.push(id);
    ids.sort(byLogit);
    if (threshold === 0 || enough(ids)) return ids;
  }
}
