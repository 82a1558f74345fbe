// Reuse of computed prompt prefixes (automatic prefix caching): a prompt's keys and values up to its
// last whole block of tokens are kept, so a later prompt that starts with the same blocks (a task's
// instruction and demos, a chat's system message) prefills only what follows. Every block boundary of
// a kept prefix is indexed by a hash of the tokens before it, so a prompt that shares only part of a
// kept prefix reuses that part; matches are checked token by token. Least recently used prefixes go
// first past a byte budget. Results with a cached prefix equal a full prefill's up to float rounding.
import type { KVCache } from './kv-cache.js';
import type { LlamaModel } from './llama.js';

/**
 * A prompt's prefix: a cache holding its first `length` tokens, the tokens after them, and whether
 * the prefix was kept from before (false: computed for this prompt).
 */
export interface PrefixHit {
  prefix: KVCache;
  length: number;
  rest: number[];
  reused: boolean;
}

interface Entry {
  tokens: number[];
  cache: KVCache;
  bytes: number;
  keys: string[];
}

/** Prompt prefixes of one model, computed once and reused. */
export class PrefixCache {
  /** The byte budget when none is given: 256 MiB. */
  static readonly defaultMaxBytes = 256 * 1024 * 1024;

  /** Kept prefixes, least recently used first. */
  private readonly entries = new Set<Entry>();
  /** Each block boundary of a kept prefix (length and hash of the tokens before it) -> the prefix. */
  private readonly index = new Map<string, Entry>();
  private bytes = 0;
  private evictedCount = 0;

  constructor(
    readonly model: LlamaModel,
    readonly options: { blockTokens?: number; maxBytes?: number } = {},
  ) {}

  /** Bytes the kept prefixes hold. */
  get size(): number {
    return this.bytes;
  }

  /** What it keeps: its bytes, their budget, the prefixes, and those evicted since it was made. */
  get state(): { bytes: number; limit: number; prefixes: number; evicted: number } {
    return { bytes: this.bytes, limit: this.budget, prefixes: this.entries.size, evicted: this.evictedCount };
  }

  private get budget(): number {
    return this.options.maxBytes ?? PrefixCache.defaultMaxBytes;
  }

  /**
   * The longest kept prefix of `tokens` that ends at a block boundary and leaves at least one token.
   * When none is kept, computes and keeps the longest such prefix first. Undefined for prompts of a
   * block or less, and for prompts longer than the context.
   */
  prefixFor(tokens: number[]): PrefixHit | undefined {
    // a prompt past the context is the generation's to refuse, with its own message
    if (tokens.length > this.model.config.contextLength) return undefined;
    const boundaries = this.boundaries(tokens);
    if (boundaries.length === 0) return undefined;
    for (let index = boundaries.length - 1; index >= 0; index--) {
      const { length, key } = boundaries[index];
      const entry = this.index.get(key);
      if (!entry || !startsWith(tokens, entry.tokens, length)) continue;
      this.entries.delete(entry); // most recently used goes last
      this.entries.add(entry);
      const prefix =
        length === entry.tokens.length ? entry.cache : entry.cache.prefixView(this.model.config, length);
      return { prefix, length, rest: tokens.slice(length), reused: true };
    }
    const { length } = boundaries[boundaries.length - 1];
    const cache = this.model.createCache(1, length);
    const ids = Int32Array.from(tokens.slice(0, length));
    this.model.forward({ batch: 1, time: length, tokens: ids, cache, logits: 'none' });
    const entry: Entry = {
      tokens: tokens.slice(0, length),
      cache,
      bytes: cache.keys.reduce((sum, layer) => sum + 2 * layer.byteLength, 0),
      keys: boundaries.map((boundary) => boundary.key),
    };
    this.entries.add(entry);
    for (const key of entry.keys) this.index.set(key, entry);
    this.bytes += entry.bytes;
    this.evict();
    return { prefix: cache, length, rest: tokens.slice(length), reused: false };
  }

  /** Block boundaries that leave at least one token, each keyed by its length and the tokens' hash. */
  private boundaries(tokens: number[]): { length: number; key: string }[] {
    const block = this.options.blockTokens ?? 32;
    const result: { length: number; key: string }[] = [];
    let hash = 0x811c9dc5;
    for (let index = 0; index < tokens.length - 1; index++) {
      hash = Math.imul(hash ^ (tokens[index] >>> 0), 0x01000193) >>> 0; // FNV-1a over the ids
      if ((index + 1) % block === 0) result.push({ length: index + 1, key: `${index + 1}:${hash}` });
    }
    return result;
  }

  private evict(): void {
    for (const entry of this.entries) {
      if (this.bytes <= this.budget || this.entries.size === 1) break;
      this.entries.delete(entry);
      this.bytes -= entry.bytes;
      this.evictedCount++;
      for (const key of entry.keys) if (this.index.get(key) === entry) this.index.delete(key);
    }
  }
}

function startsWith(tokens: number[], prefix: number[], length: number): boolean {
  if (prefix.length < length) return false;
  for (let index = 0; index < length; index++) if (tokens[index] !== prefix[index]) return false;
  return true;
}
