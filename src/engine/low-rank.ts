// Low-rank adapters (LoRA, Hu et al. 2021): a projection y = x W^T becomes y = x W^T + scale * (x A^T) B^T
// with A (r, in) and B (out, r) learned and W frozen. The forward pass adds the product per batch row, so
// rows with different adapters share one pass over the frozen model (as S-LoRA and punica do); the backward
// pass gives A's and B's gradients and adds the adapter's share of the input gradient. It does not read
// or write adapter files (soft/lora-adapter.ts) nor initialize them.
import { ValidationError } from '../errors/index.js';
import type { ModelConfig } from './config.js';
import { dropoutKey, type DropoutMask } from './dropout.js';
import type { Kernels, LowRankProduct } from './kernels/index.js';

/** The projections an adapter may change, named as the engine's layer weights are. */
export const PROJECTIONS = ['query', 'key', 'value', 'attentionOutput', 'gate', 'up', 'down'] as const;
/** One of a layer's linear projections. */
export type Projection = (typeof PROJECTIONS)[number];

/** One projection's low-rank pair. */
export interface LowRankPair {
  a: Float32Array; // (r, in) PEFT's lora_A
  b: Float32Array; // (out, r) PEFT's lora_B
}

/** A LoRA adapter over a whole model: the pairs of each layer's adapted projections. */
export interface LowRankAdapter {
  rank: number; // r
  /** What the product is multiplied by: alpha / r (or alpha / sqrt(r) with rank-stabilized LoRA). */
  scale: number;
  layers: Partial<Record<Projection, LowRankPair>>[]; // (L)
  /**
   * While training: PEFT's lora_dropout, the input of each product dropped (inverted dropout) with
   * `probability`, each layer's projection its own mask drawn from `key` (a step's). Never when serving.
   */
  dropout?: { probability: number; key: number };
}

/** The dropout mask of one projection of one layer, or undefined when the adapter drops nothing. */
function maskOf(adapter: LowRankAdapter, layer: number, projection: Projection): DropoutMask | undefined {
  const { dropout } = adapter;
  if (!dropout?.probability) return undefined;
  return {
    probability: dropout.probability,
    key: dropoutKey(dropout.key, layer, PROJECTIONS.indexOf(projection)),
  };
}

/** An adapter being trained and the buffers its gradients are summed into (the same shapes). */
export interface LowRankTraining {
  adapter: LowRankAdapter;
  gradients: LowRankAdapter;
}

let scratch = new Float32Array(0);
/** A reusable (count) buffer: the products here run one after another, never two at once. */
function scratchFor(count: number): Float32Array {
  if (scratch.length < count) scratch = new Float32Array(count);
  return scratch.subarray(0, count);
}

let rowIndices = new Int32Array(0);

/**
 * A decode step (one position per row, nothing dropped): every row's product in one call of the gathered
 * kernel, each row with its own adapter's pair (punica's BGMV). One row's numbers do not depend on its
 * neighbours', so a request batched with others decodes as it does alone.
 */
function lowRankRows(
  kernels: Kernels,
  out: Float32Array,
  inp: Float32Array,
  adapters: readonly (LowRankAdapter | null)[],
  layer: number,
  projection: Projection,
  inFeatures: number,
  outFeatures: number,
): void {
  if (rowIndices.length < adapters.length) rowIndices = new Int32Array(adapters.length);
  const products: LowRankProduct[] = [];
  const seen = new Map<LowRankAdapter, number>();
  for (let row = 0; row < adapters.length; row++) {
    const adapter = adapters[row];
    const pair = adapter?.layers[layer]?.[projection];
    let index = -1;
    if (adapter && pair) {
      index = seen.get(adapter) ?? products.length;
      if (index === products.length) {
        seen.set(adapter, index);
        products.push({ a: pair.a, b: pair.b, rank: adapter.rank, scale: adapter.scale });
      }
    }
    rowIndices[row] = index;
  }
  if (products.length)
    kernels.lowRankRowsForward(out, inp, products, rowIndices, adapters.length, inFeatures, outFeatures);
}

/**
 * out (B*T, outFeatures) += scale * (inp A^T) B^T for each run of rows sharing an adapter; a row whose
 * adapter is null, or lacks this projection, is left as the frozen model made it. A decode step (T = 1)
 * takes all its rows in one gathered call instead.
 */
export function lowRankForward(
  kernels: Kernels,
  out: Float32Array,
  inp: Float32Array,
  adapters: readonly (LowRankAdapter | null)[],
  layer: number,
  projection: Projection,
  time: number,
  inFeatures: number,
  outFeatures: number,
): void {
  if (time === 1 && adapters.every((adapter) => !adapter?.dropout?.probability))
    return lowRankRows(kernels, out, inp, adapters, layer, projection, inFeatures, outFeatures);
  for (let first = 0; first < adapters.length;) {
    const adapter = adapters[first];
    let end = first + 1;
    while (end < adapters.length && adapters[end] === adapter) end++;
    const pair = adapter?.layers[layer]?.[projection];
    if (adapter && pair) {
      const n = (end - first) * time;
      const r = adapter.rank;
      const mask = maskOf(adapter, layer, projection);
      const buffer = scratchFor(n * r + (mask ? n * inFeatures : 0));
      const u = buffer.subarray(0, n * r); // (n, r) = x A^T
      let x = inp.subarray(first * time * inFeatures);
      if (mask) {
        // the product's input dropped; the frozen projection's is not (as PEFT: base(x) + B(A(drop(x))))
        const dropped = buffer.subarray(n * r);
        kernels.dropoutForward(
          dropped,
          x,
          mask.probability,
          mask.key,
          first * time * inFeatures,
          n * inFeatures,
        );
        x = dropped;
      }
      const y = out.subarray(first * time * outFeatures);
      kernels.gemm(false, true, n, r, inFeatures, 1, x, inFeatures, pair.a, inFeatures, 0, u, r);
      kernels.gemm(false, true, n, outFeatures, r, adapter.scale, u, r, pair.b, r, 1, y, outFeatures);
    }
    first = end;
  }
}

/**
 * The backward of lowRankForward for one adapter over all n rows: sums d loss / dA and d loss / dB into
 * `gradients` and adds the adapter's share of the input gradient to dinp (n, inFeatures). It recomputes
 * x A^T from the kept input rather than keeping it.
 */
export function lowRankBackward(
  kernels: Kernels,
  dinp: Float32Array,
  dout: Float32Array,
  inp: Float32Array,
  training: LowRankTraining,
  layer: number,
  projection: Projection,
  n: number,
  inFeatures: number,
  outFeatures: number,
): void {
  const pair = training.adapter.layers[layer]?.[projection];
  const gradient = training.gradients.layers[layer]?.[projection];
  if (!pair || !gradient) return;
  const { rank: r, scale } = training.adapter;
  const mask = maskOf(training.adapter, layer, projection);
  const buffer = scratchFor(2 * n * r + (mask ? n * inFeatures : 0));
  const u = buffer.subarray(0, n * r); // (n, r) x A^T
  const du = buffer.subarray(n * r, 2 * n * r); // (n, r) scale * dout B
  // with dropout, the product's input as the forward dropped it (the same mask, drawn again)
  const dropped = mask ? buffer.subarray(2 * n * r) : undefined;
  if (mask && dropped) kernels.dropoutForward(dropped, inp, mask.probability, mask.key, 0, n * inFeatures);
  const x = dropped ?? inp;
  kernels.gemm(false, true, n, r, inFeatures, 1, x, inFeatures, pair.a, inFeatures, 0, u, r);
  // dB (out, r) += scale * dout^T u
  kernels.gemm(true, false, outFeatures, r, n, scale, dout, outFeatures, u, r, 1, gradient.b, r);
  kernels.gemm(false, false, n, r, outFeatures, scale, dout, outFeatures, pair.b, r, 0, du, r);
  // dA (r, in) += du^T x
  kernels.gemm(true, false, r, inFeatures, n, 1, du, r, x, inFeatures, 1, gradient.a, inFeatures);
  if (!mask || !dropped) {
    // dinp (n, in) += du A
    kernels.gemm(false, false, n, inFeatures, r, 1, du, r, pair.a, inFeatures, 1, dinp, inFeatures);
    return;
  }
  // d dropped (n, in) = du A, in the dropped input's buffer (read above), then back through the mask
  kernels.gemm(false, false, n, inFeatures, r, 1, du, r, pair.a, inFeatures, 0, dropped, inFeatures);
  kernels.dropoutBackward(dinp, dropped, mask.probability, mask.key, 0, n * inFeatures);
}

/**
 * The adapter's matrices in one buffer (layer by layer in PROJECTIONS order, A before B) and an adapter
 * viewing it: what an optimizer steps as one vector. `zero` gives the same shapes holding zeros (where
 * gradients are summed) instead of a copy.
 */
export function packAdapter(
  adapter: LowRankAdapter,
  fill: 'copy' | 'zero' = 'copy',
): { adapter: LowRankAdapter; values: Float32Array } {
  let size = 0;
  for (const layer of adapter.layers)
    for (const projection of PROJECTIONS) {
      const pair = layer[projection];
      if (pair) size += pair.a.length + pair.b.length;
    }
  const values = new Float32Array(size);
  let offset = 0;
  const view = (matrix: Float32Array) => {
    const part = values.subarray(offset, (offset += matrix.length));
    if (fill === 'copy') part.set(matrix);
    return part;
  };
  const layers = adapter.layers.map((layer) => {
    const packed: Partial<Record<Projection, LowRankPair>> = {};
    for (const projection of PROJECTIONS) {
      const pair = layer[projection];
      if (pair) packed[projection] = { a: view(pair.a), b: view(pair.b) };
    }
    return packed;
  });
  return { adapter: { rank: adapter.rank, scale: adapter.scale, layers }, values };
}

/** The projections an adapter changes in at least one layer, in PROJECTIONS order. */
export function adaptedProjections(adapter: LowRankAdapter): Projection[] {
  return PROJECTIONS.filter((projection) => adapter.layers.some((layer) => layer[projection]));
}

/** The (in, out) features of a projection of `config`'s layers. */
export function projectionShape(config: ModelConfig, projection: Projection): [number, number] {
  const { hiddenSize: C, heads: H, kvHeads: KVH, headDim: hd, intermediateSize: I } = config;
  const shapes: Record<Projection, [number, number]> = {
    query: [C, H * hd],
    key: [C, KVH * hd],
    value: [C, KVH * hd],
    attentionOutput: [H * hd, C],
    gate: [C, I],
    up: [C, I],
    down: [I, C],
  };
  return shapes[projection];
}

/** Refuses an adapter whose layers or matrices do not fit the model (ADAPTER_SHAPE). */
export function checkAdapterFits(adapter: LowRankAdapter, model: { config: ModelConfig }): void {
  const { config } = model;
  const fail = (what: string) => {
    throw new ValidationError(`the LoRA adapter does not fit this model: ${what}`, {
      code: 'ADAPTER_SHAPE',
      hint: 'Use the adapter with the base model it was trained on.',
    });
  };
  if (adapter.layers.length !== config.layers)
    fail(`it has ${adapter.layers.length} layers, the model ${config.layers}`);
  if (!Number.isInteger(adapter.rank) || adapter.rank < 1) fail(`rank ${adapter.rank}`);
  adapter.layers.forEach((layer, l) => {
    for (const [name, pair] of Object.entries(layer) as [Projection, LowRankPair][]) {
      const [inFeatures, outFeatures] = projectionShape(config, name);
      if (pair.a.length !== adapter.rank * inFeatures || pair.b.length !== outFeatures * adapter.rank)
        fail(
          `layer ${l} ${name}: A holds ${pair.a.length} values and B ${pair.b.length}, expected ${adapter.rank} x ${inFeatures} and ${outFeatures} x ${adapter.rank}`,
        );
    }
  });
}
