// Key/value cache: per layer, rotated keys and values for B rows of up to S positions, with each
// row's filled length. Rows advance independently, so right-padded batches decode together.
import { ValidationError } from '../errors/index.js';
import type { ModelConfig } from './config.js';

/** Cached keys and values of past positions, per layer and row. */
export class KVCache {
  readonly keys: Float32Array[]; // L x (B, S, KVH*hd)
  readonly values: Float32Array[]; // L x (B, S, KVH*hd)
  /** Filled positions per row. */
  readonly lengths: Int32Array; // (B)
  readonly rowSize: number; // KVH*hd

  constructor(
    config: ModelConfig,
    readonly batch: number,
    readonly capacity: number,
    shared?: { keys: Float32Array[]; values: Float32Array[] },
  ) {
    if (!Number.isInteger(capacity) || capacity <= 0) {
      throw new ValidationError(`cache capacity ${capacity} is not a positive integer`, {
        code: 'CACHE_CAPACITY',
        hint: 'Pass the longest sequence length the cache must hold.',
      });
    }
    this.rowSize = config.kvHeads * config.headDim;
    const size = batch * capacity * this.rowSize;
    this.keys = shared?.keys ?? Array.from({ length: config.layers }, () => new Float32Array(size));
    this.values = shared?.values ?? Array.from({ length: config.layers }, () => new Float32Array(size));
    this.lengths = new Int32Array(batch);
  }

  /**
   * The first `length` positions of row 0 as a one-row cache over the same buffers: a shorter prefix
   * to copy from, without copying it first. Writing through it writes into this cache.
   */
  prefixView(config: ModelConfig, length: number): KVCache {
    const view = new KVCache(config, 1, this.capacity, { keys: this.keys, values: this.values });
    view.lengths[0] = Math.min(length, this.lengths[0]);
    return view;
  }

  /** Empties every row (the buffers are reused). */
  reset(): void {
    this.lengths.fill(0);
  }

  /** Copies the first `length` positions of `source`'s row into this cache's row (e.g. a shared prefix). */
  copyRow(source: KVCache, sourceRow: number, targetRow: number, length = source.lengths[sourceRow]): void {
    if (length > this.capacity || source.rowSize !== this.rowSize) {
      throw new ValidationError(`cannot copy ${length} cached positions into a cache of ${this.capacity}`, {
        code: 'CACHE_CAPACITY',
        hint: 'The target cache must be as large as the prefix and belong to the same model.',
      });
    }
    const count = length * this.rowSize;
    for (let l = 0; l < this.keys.length; l++) {
      const from = sourceRow * source.capacity * this.rowSize;
      const to = targetRow * this.capacity * this.rowSize;
      this.keys[l].set(source.keys[l].subarray(from, from + count), to);
      this.values[l].set(source.values[l].subarray(from, from + count), to);
    }
    this.lengths[targetRow] = length;
  }
}
