// Choosing the next token from logits: repetition penalty, temperature, top-k, top-p, then a draw
// from an injected random source (greedy when temperature is 0). Pure functions over one row.
import { ValidationError } from '../errors/index.js';
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

/** Picks the next token from one row of logits. `logits` is modified (penalties applied). */
export function sampleToken(
  logits: Float32Array,
  options: SamplingOptions,
  context: Iterable<number>,
  random: Random,
): number {
  const penalty = options.repetitionPenalty ?? 1;
  if (penalty !== 1) {
    for (const id of new Set(context))
      logits[id] = logits[id] > 0 ? logits[id] / penalty : logits[id] * penalty;
  }
  const temperature = options.temperature ?? 0;
  if (temperature === 0) return argmax(logits);
  let candidates = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]);
  if (options.topK !== undefined) candidates = candidates.slice(0, options.topK);
  const maximum = logits[candidates[0]];
  let weights = candidates.map((id) => Math.exp((logits[id] - maximum) / temperature));
  let total = weights.reduce((sum, w) => sum + w, 0);
  if (options.topP !== undefined && options.topP < 1) {
    let cumulative = 0;
    let keep = 0;
    while (keep < candidates.length && cumulative < options.topP * total) cumulative += weights[keep++];
    candidates = candidates.slice(0, Math.max(1, keep));
    weights = weights.slice(0, candidates.length);
    total = weights.reduce((sum, w) => sum + w, 0);
  }
  let draw = random() * total;
  for (let i = 0; i < candidates.length; i++) {
    draw -= weights[i];
    if (draw < 0) return candidates[i];
  }
  return candidates[candidates.length - 1];
}
