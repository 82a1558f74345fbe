// What a batch row may run with beside the frozen model: a LoRA adapter (low-rank.ts) or a key/value
// prefix (key-value-prefix.ts). Rows with different ones, or none, share one pass.
import {
  checkPrefixFits,
  checkPrefixPlaced,
  type KeyValuePrefix,
  type PrefixTraining,
} from './key-value-prefix.js';
import { checkAdapterFits, type LowRankAdapter, type LowRankTraining } from './low-rank.js';
import type { ModelConfig } from './config.js';
import type { WeightTraining } from './weight-training.js';

/** A row's adapter: LoRA matrices or a key/value prefix. */
export type ModelAdapter = LowRankAdapter | KeyValuePrefix;

/** What a backward pass trains beside the input: an adapter, or the model's own weights, with the buffers its gradients are summed into. */
export type AdapterTraining = LowRankTraining | PrefixTraining | WeightTraining;

/** Whether `adapter` is a key/value prefix (else LoRA). */
export function isKeyValuePrefix(adapter: ModelAdapter): adapter is KeyValuePrefix {
  return 'kind' in adapter && adapter.kind === 'prefix';
}

/** The rows' adapters of one kind (the others null), or undefined when no row has one of that kind. */
export function adaptersOfKind<Kind extends ModelAdapter>(
  adapters: readonly (ModelAdapter | null)[] | undefined,
  isKind: (adapter: ModelAdapter) => adapter is Kind,
): (Kind | null)[] | undefined {
  if (!adapters?.some((adapter) => adapter && isKind(adapter))) return undefined;
  return adapters.map((adapter) => (adapter && isKind(adapter) ? adapter : null));
}

/** Refuses an adapter that does not fit the model (ADAPTER_SHAPE). */
export function checkModelAdapterFits(adapter: ModelAdapter, model: { config: ModelConfig }): void {
  if (isKeyValuePrefix(adapter)) checkPrefixFits(adapter, model);
  else checkAdapterFits(adapter, model);
}

/**
 * Refuses `adapter` when it is a prefix and the row's first `placed` positions (its cache, or the start of
 * its input) do not hold its placeholders (ADAPTER_PREFIX_UNPLACED); LoRA, or no adapter, always passes.
 */
export function checkAdapterPlaced(adapter: ModelAdapter | undefined, placed: number): void {
  if (adapter && isKeyValuePrefix(adapter)) checkPrefixPlaced(adapter, placed);
}

/** Whether `adapter` is a LoRA adapter. */
export function isLowRankAdapter(adapter: ModelAdapter): adapter is LowRankAdapter {
  return !isKeyValuePrefix(adapter);
}
