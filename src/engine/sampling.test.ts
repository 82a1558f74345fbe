// sampleToken ranks only as much of the vocabulary as its cut and its draw reach; it must draw exactly
// what ranking every token first draws, for flat, peaked and heavy-tailed logits and every option.
import { describe, expect, it } from 'vitest';
import { seededRandom, type Random } from './random.js';
import { sampleToken, type SamplingOptions } from './sampling.js';

/** The plain definition: rank every token, cut to top-k and top-p, draw. */
function fullSortSample(logits: Float32Array, options: SamplingOptions, random: Random): number {
  const temperature = options.temperature ?? 0;
  let ids = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]);
  if (temperature === 0) return ids[0];
  if (options.topK !== undefined) ids = ids.slice(0, options.topK);
  const maximum = logits[ids[0]];
  let weights = ids.map((id) => Math.exp((logits[id] - maximum) / temperature));
  let total = weights.reduce((sum, weight) => sum + weight, 0);
  if (options.topP !== undefined && options.topP < 1) {
    let cumulative = 0;
    let keep = 0;
    while (keep < ids.length && cumulative < options.topP * total) cumulative += weights[keep++];
    ids = ids.slice(0, Math.max(1, keep));
    weights = weights.slice(0, ids.length);
    total = weights.reduce((sum, weight) => sum + weight, 0);
  }
  let draw = random() * total;
  for (let i = 0; i < ids.length; i++) {
    draw -= weights[i];
    if (draw < 0) return ids[i];
  }
  return ids[ids.length - 1];
}

describe('sampleToken', () => {
  const shapes: [string, (random: Random) => number][] = [
    ['flat', (random) => (random() - 0.5) * 10],
    ['peaked', (random) => (random() < 0.002 ? 10 + random() * 5 : random() * 3)],
    ['heavy-tailed', (random) => -Math.log(random()) * 3],
    ['tied', (random) => Math.floor(random() * 4)],
  ];
  const settings: SamplingOptions[] = [
    { temperature: 1 },
    { temperature: 0.7, topK: 40 },
    { temperature: 0.9, topP: 0.9 },
    { temperature: 1.3, topK: 300, topP: 0.5 },
    { temperature: 0.5, topK: 1 },
    { temperature: 2, topP: 0.999 },
  ];
  it.each(shapes)('draws what a full ranking draws, for %s logits', (_shape, value) => {
    for (const [index, options] of settings.entries()) {
      for (let trial = 0; trial < 12; trial++) {
        const make = seededRandom(1000 * index + trial);
        const logits = Float32Array.from({ length: 5000 }, () => value(make));
        const seed = 7 * trial + index;
        expect(sampleToken(logits.slice(), options, [], seededRandom(seed))).toBe(
          fullSortSample(logits, options, seededRandom(seed)),
        );
      }
    }
  });

  it('ranks further when the draw lands in the long tail below its first cut', () => {
    // one token of weight 1 and 4,999 of weight e^-9.3 (about 9e-5 each, 0.46 in all)
    const logits = new Float32Array(5000);
    logits[123] = 9.3;
    const tail = [];
    for (let seed = 0; seed < 40; seed++) {
      const drawn = sampleToken(logits.slice(), { temperature: 1 }, [], seededRandom(seed));
      expect(drawn).toBe(fullSortSample(logits, { temperature: 1 }, seededRandom(seed)));
      if (drawn !== 123) tail.push(drawn);
    }
    expect(tail.length).toBeGreaterThan(5);
  });
});
