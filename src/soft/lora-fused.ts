// LoRA on projections a model's transformers class fuses into one module: Phi-3 (and Phi-4-mini) has
// self_attn.qkv_proj (query, key and value rows, in that order) and mlp.gate_up_proj (gate then up rows)
// where Llama has separate modules, and PEFT adapts only modules the model has.
// The engine adapts each projection on its own, so a LoRA is written fused and read split:
// - written: the parts' A matrices stacked ([k·r, in]) and their B matrices block-diagonal ([out, k·r]),
//   so the fused product is each part's own (a part not adapted is a zero block); its rank and alpha are
//   the module's own (PEFT's rank_pattern and alpha_pattern), keeping the scale alpha / r;
// - read: such a block-diagonal pair splits back into the parts' pairs exactly; any other (PEFT's own
//   qkv_proj LoRA, A shared by all rows) gives each part the whole A and its rows of B, which is the same
//   product.
import { projectionShape, type LowRankPair, type ModelConfig, type Projection } from '../engine/index.js';

/** A module transformers fuses: its path inside a layer and its parts, top rows first. */
export interface FusedModule {
  module: string;
  parts: readonly Projection[];
}

const FUSED_MODULES: readonly FusedModule[] = [
  { module: 'self_attn.qkv_proj', parts: ['query', 'key', 'value'] },
  { module: 'mlp.gate_up_proj', parts: ['gate', 'up'] },
];

/** The fused module a LoRA tensor's module path names (self_attn.qkv_proj …), if it is one. */
export const fusedModuleNamed = (module: string): FusedModule | undefined =>
  FUSED_MODULES.find((fused) => fused.module === module);

/** The modules `config`'s model fuses as transformers builds it (Phi-3's two); none for the others. */
export const fusedModulesOf = (config: Pick<ModelConfig, 'architecture'>): readonly FusedModule[] =>
  config.architecture === 'phi3' ? FUSED_MODULES : [];

/**
 * Each part's rows of a fused module whose LoRA reads `inFeatures` and writes `outFeatures`: the model's
 * shapes when `config` is given; without a model, gate and up halve it and the query's rows are the
 * hidden size (a Phi-3's heads times head width), key and value halving the rest. Undefined when they do
 * not add up.
 */
export function fusedRows(
  fused: FusedModule,
  inFeatures: number,
  outFeatures: number,
  config?: ModelConfig,
): number[] | undefined {
  const rows = config
    ? fused.parts.map((part) => projectionShape(config, part)[1])
    : fused.parts.length === 3
      ? [inFeatures, (outFeatures - inFeatures) / 2, (outFeatures - inFeatures) / 2]
      : fused.parts.map(() => outFeatures / fused.parts.length);
  const fits =
    rows.every((count) => Number.isInteger(count) && count > 0) &&
    rows.reduce((sum, count) => sum + count, 0) === outFeatures;
  return fits ? rows : undefined;
}

/** A LoRA pair with its own rank (lora_A is [rank, in], lora_B [out, rank]). */
export interface RankedPair extends LowRankPair {
  rank: number;
}

/**
 * One fused module's pair from its parts' (each of `rank`, a part absent a zero block), and the rows
 * each part has (`rows`, in the module's order).
 */
export function fusePairs(
  fused: FusedModule,
  pairs: Partial<Record<Projection, LowRankPair>>,
  rank: number,
  inFeatures: number,
  rows: readonly number[],
): RankedPair {
  const k = fused.parts.length;
  const total = rows.reduce((sum, count) => sum + count, 0);
  const a = new Float32Array(k * rank * inFeatures);
  const b = new Float32Array(total * k * rank);
  let firstRow = 0;
  fused.parts.forEach((part, index) => {
    const pair = pairs[part];
    if (pair) {
      a.set(pair.a, index * rank * inFeatures);
      for (let row = 0; row < rows[index]; row++)
        b.set(pair.b.subarray(row * rank, (row + 1) * rank), (firstRow + row) * k * rank + index * rank);
    }
    firstRow += rows[index];
  });
  return { a, b, rank: k * rank };
}

/**
 * The parts' pairs of one fused module's pair (its rows per part in `rows`): a block-diagonal B splits
 * into the blocks (a part whose A and B blocks are both zero was not adapted and is left out); any other
 * gives each part all of A and its rows of B.
 */
export function splitFusedPair(
  fused: FusedModule,
  pair: RankedPair,
  inFeatures: number,
  rows: readonly number[],
): Partial<Record<Projection, RankedPair>> {
  const k = fused.parts.length;
  const { rank } = pair;
  const width = rank % k === 0 ? rank / k : 0;
  const firstRows = rows.map((_, index) => rows.slice(0, index).reduce((sum, count) => sum + count, 0));
  const blockDiagonal =
    width > 0 &&
    fused.parts.every((_, index) => {
      for (let row = firstRows[index]; row < firstRows[index] + rows[index]; row++)
        for (let column = 0; column < rank; column++)
          if (Math.floor(column / width) !== index && pair.b[row * rank + column] !== 0) return false;
      return true;
    });
  const parts: Partial<Record<Projection, RankedPair>> = {};
  fused.parts.forEach((part, index) => {
    if (!blockDiagonal) {
      parts[part] = {
        a: pair.a.slice(),
        b: pair.b.slice(firstRows[index] * rank, (firstRows[index] + rows[index]) * rank),
        rank,
      };
      return;
    }
    const a = pair.a.slice(index * width * inFeatures, (index + 1) * width * inFeatures);
    const b = new Float32Array(rows[index] * width);
    for (let row = 0; row < rows[index]; row++)
      b.set(
        pair.b.subarray(
          (firstRows[index] + row) * rank + index * width,
          (firstRows[index] + row) * rank + (index + 1) * width,
        ),
        row * width,
      );
    if (a.some((value) => value !== 0) || b.some((value) => value !== 0)) parts[part] = { a, b, rank: width };
  });
  return parts;
}

/**
 * A pair of rank `pair.rank` as one of rank `rank` (>= it: A's added rows and B's added columns zero),
 * its B multiplied by `factor` (a scale of its own folded into the adapter's): the same product.
 */
export function widenPair(pair: RankedPair, rank: number, inFeatures: number, factor: number): LowRankPair {
  if (pair.rank === rank && factor === 1) return { a: pair.a, b: pair.b };
  const a = new Float32Array(rank * inFeatures);
  a.set(pair.a);
  const outFeatures = pair.b.length / pair.rank;
  const b = new Float32Array(outFeatures * rank);
  for (let row = 0; row < outFeatures; row++)
    for (let column = 0; column < pair.rank; column++)
      b[row * rank + column] = pair.b[row * pair.rank + column] * factor;
  return { a, b };
}
