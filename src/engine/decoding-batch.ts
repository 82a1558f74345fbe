// A batch that decodes many requests together and takes new ones between steps (continuous batching).
// Each request owns a row of one KV cache: it is prefilled when it joins, steps with the others, and
// leaves the moment it finishes, so every forward pass runs only the rows still going. A long prompt is
// prefilled a chunk per step (chunked prefill), so the rows decoding wait for one chunk at a time, not
// for the whole prompt. Each row samples from its own logits with its own random source and options, so
// its tokens are those it gets alone. Prompts are token ids (or input embeddings); tokenizing, queueing
// and waiting are the caller's.
import { tokenEmbeddingRow } from './decoder.js';
import { ValidationError } from '../errors/index.js';
import type { FinishReason, GenerationEvent, GenerationOptions, PromptInput } from './generation-types.js';
import type { KVCache } from './kv-cache.js';
import { checkAdapterPlaced, type ModelAdapter } from './model-adapter.js';
import type { ConstraintState } from './token-constraint.js';
import type { LlamaModel } from './llama.js';
import { seededRandom, type Random } from './random.js';
import { sampleToken, validateSampling } from './sampling.js';
import { chooseSequence } from './sequence-choice.js';
import { TextStream } from './text-stream.js';
import type { Tokenizer } from './tokenizers/types.js';

/**
 * What sampling a step gives a row: a text delta, its end, or the error that ended it alone (its scores
 * were not numbers: an adapter of its own overflowed), the other rows going on.
 */
export type RowEvent = GenerationEvent | { row: number; error: Error };

/** A request for a row: its caller-chosen id (events carry it) and its prompt with its own options. */
export interface RowRequest {
  id: number;
  prompt: PromptInput;
}

interface Row {
  id: number;
  tokens: number[];
  options: GenerationOptions;
  maxTokens: number;
  /** Cache positions this row fills at most: its prefix, its prompt and all but its last new token. */
  positions: number;
  eos: Set<number>;
  /** Where the output stands in its constraint, when it has one. */
  constraint: ConstraintState | undefined;
  random: Random;
  stream: TextStream;
  generated: number[];
  logits: Float32Array;
  next: number;
  /** The most rows this request shared a forward pass with (itself included). */
  batchSize: number;
  /** The first token's log-probability margin (Generation.margin). */
  margin: number | undefined;
}

/** A long prompt being prefilled a chunk per step, in a cache of its own. */
interface Prefilling {
  row: Row;
  prompt: PromptInput;
  cache: KVCache;
  done: number;
}

/** Prompt tokens prefilled per step for a prompt longer than this (shorter ones go in at once). */
const PREFILL_CHUNK = 256;

/** Rows decoding together on one model, up to `rows` at a time. */
export class DecodingBatch {
  private readonly active: Row[] = [];
  private readonly prefilling: Prefilling[] = [];
  private cache: KVCache | undefined;

  constructor(
    readonly model: LlamaModel,
    readonly tokenizer: Tokenizer,
    readonly rows: number,
    readonly prefillChunk = PREFILL_CHUNK,
  ) {}

  /** Requests in the batch: decoding, or still being prefilled. */
  get size(): number {
    return this.active.length + this.prefilling.length;
  }

  /** Rows free for new requests. */
  get free(): number {
    return this.rows - this.size;
  }

  /**
   * Throws a ValidationError when this prompt cannot run: `label` names it in the message, a number as
   * `prompt <n>`, a string as it is ("the request").
   */
  check(prompt: PromptInput, label: number | string = 0): void {
    const named = typeof label === 'number' ? `prompt ${label}` : label;
    const options = prompt.options ?? {};
    const maxTokens = options.maxTokens ?? 128;
    validateSampling(options);
    if (!Number.isInteger(maxTokens) || maxTokens < 0) {
      throw new ValidationError(`maxTokens is ${maxTokens}, expected a whole number >= 0`, {
        code: 'SAMPLING_INVALID',
        hint: 'Give maxTokens (--max-tokens on the command line) as a whole number, 0 or more.',
      });
    }
    if (prompt.tokens.length === 0)
      throw new ValidationError(`${named} is empty`, {
        code: 'PROMPT_EMPTY',
        hint: 'Give at least one token (most models start with BOS).',
      });
    const contextLength = this.model.config.contextLength;
    const prefix = options.prefix ? options.prefix.lengths[0] : 0;
    checkAdapterPlaced(options.adapter, prefix);
    const used = prefix + prompt.tokens.length;
    // the last new token is sampled from the context's last position: at most this many fit
    const room = contextLength + 1 - used;
    if (Math.max(maxTokens, 1) > room || used > contextLength) {
      throw new ValidationError(
        `${named} has ${used} tokens${prefix ? ` (${prefix} in the prefix)` : ''}; with ${maxTokens} new tokens it exceeds the context of ${contextLength}`,
        {
          code: 'CONTEXT_OVERFLOW',
          hint:
            room < 1
              ? `The prompt alone is longer than the model's context: shorten it to at most ${contextLength - prefix} tokens.`
              : `Shorten the prompt, or ask for at most ${room} new token${room === 1 ? '' : 's'} (--max-tokens, max_tokens).`,
        },
      );
    }
  }

  /**
   * Prefills checked requests into free rows: the short prompts in one forward pass now, the long ones
   * a chunk per `advance()`. Returns the events of requests that finish at once (no new tokens asked);
   * the others produce events from `sample()` once prefilled.
   */
  admit(requests: RowRequest[]): RowEvent[] {
    if (requests.length > this.free)
      throw new ValidationError(`${requests.length} requests for ${this.free} free rows`, {
        code: 'BATCH_FULL',
        hint: 'Admit at most `free` requests at a time.',
      });
    const events: RowEvent[] = [];
    const joining: Row[] = [];
    const prompts: PromptInput[] = [];
    for (const { id, prompt } of requests) {
      const options = prompt.options ?? {};
      const maxTokens = options.maxTokens ?? 128;
      if (maxTokens === 0) {
        events.push({ row: id, done: { tokens: [], text: '', finishReason: 'length' }, batchSize: 1 });
        continue;
      }
      // a label set is decided by the labels' likelihoods, without decoding; a row whose likelihoods
      // are not numbers fails alone
      let chosen: ReturnType<typeof chooseSequence>;
      try {
        chosen = chooseSequence(this.model, this.tokenizer, prompt, options);
      } catch (error) {
        events.push({ row: id, error: error as Error });
        continue;
      }
      if (chosen) {
        if (chosen.text)
          events.push({
            row: id,
            token: chosen.tokens[chosen.tokens.length - 1],
            delta: chosen.text,
            generated: chosen.tokens.length,
          });
        events.push({ row: id, done: chosen, batchSize: 1 });
        continue;
      }
      const prefix = options.prefix ? options.prefix.lengths[0] : 0;
      const row: Row = {
        id,
        tokens: prompt.tokens,
        options,
        maxTokens,
        positions: prefix + prompt.tokens.length + maxTokens - 1,
        eos: new Set(options.stopAtEos === false ? [] : this.tokenizer.eosTokenIds),
        constraint: options.constraint?.start(),
        random: seededRandom(options.seed ?? 0),
        // under a constraint the constraint ends the output: a stop string could cut a valid one short
        stream: new TextStream(this.tokenizer, prompt.tokens, options.constraint ? [] : options.stop),
        generated: [],
        logits: new Float32Array(0),
        next: 0,
        batchSize: 1,
        margin: undefined,
      };
      if (prompt.tokens.length > this.prefillChunk) {
        const cache = this.model.createCache(1, prefix + prompt.tokens.length);
        if (options.prefix) cache.copyRow(options.prefix, 0, 0);
        this.prefilling.push({ row, prompt, cache, done: 0 });
      } else {
        joining.push(row);
        prompts.push(prompt);
      }
    }
    if (joining.length === 0) return events;
    const logits = this.prefill(prompts);
    const V = this.model.config.vocabularySize;
    this.reserve(Math.max(...joining.map((row) => row.positions)));
    joining.forEach((row, index) => {
      row.logits = logits.logits.subarray(index * V, (index + 1) * V);
      row.batchSize = joining.length;
      this.cache!.copyRow(logits.cache, index, this.active.length);
      this.active.push(row);
    });
    return events;
  }

  /**
   * Samples every row's next token from its logits; returns the text deltas and finished requests, and
   * frees the rows of those.
   */
  sample(): RowEvent[] {
    const events: RowEvent[] = [];
    const finished: number[] = [];
    this.active.forEach((row, index) => {
      row.constraint?.mask(row.logits, row.maxTokens - row.generated.length);
      if (row.generated.length === 0) row.margin = topMargin(row.logits);
      let token: number;
      try {
        token = sampleToken(row.logits, row.options, [...row.tokens, ...row.generated], row.random);
      } catch (error) {
        events.push({ row: row.id, error: error as Error });
        finished.push(index);
        return;
      }
      row.next = token;
      let reason: FinishReason | undefined;
      // a constraint allows EOS only where the output may end, whether or not the row stops at EOS
      if (row.eos.has(token) || (row.constraint && this.tokenizer.eosTokenIds.includes(token))) {
        reason = 'eos';
      } else {
        row.constraint?.advance(token);
        row.generated.push(token);
        const delta = row.stream.push(row.generated);
        if (row.stream.stoppedBy !== undefined || row.constraint?.finished) reason = 'stop';
        else if (row.generated.length >= row.maxTokens) reason = 'length';
        if (delta) events.push({ row: row.id, token, delta, generated: row.generated.length });
      }
      if (!reason) return;
      const delta = row.stream.push(row.generated, true);
      if (delta) events.push({ row: row.id, token, delta, generated: row.generated.length });
      const done = {
        tokens: row.generated,
        text: row.stream.text,
        finishReason: reason,
        ...(row.margin !== undefined && { margin: row.margin }),
      };
      events.push({ row: row.id, done, batchSize: row.batchSize });
      finished.push(index);
    });
    for (const index of finished.reverse()) this.release(index);
    return events;
  }

  /** Frees a row: the last row moves into it, so the rows decoding stay the cache's first rows. */
  private release(index: number): void {
    const last = this.active.length - 1;
    if (index !== last) {
      this.cache!.copyRow(this.cache!, last, index);
      this.active[index] = this.active[last];
    }
    this.active.pop();
  }

  /** Drops a request's row (a client that went away); false when it is not in this batch. */
  cancel(id: number): boolean {
    const waiting = this.prefilling.findIndex((entry) => entry.row.id === id);
    if (waiting >= 0) {
      this.prefilling.splice(waiting, 1);
      return true;
    }
    const index = this.active.findIndex((row) => row.id === id);
    if (index < 0) return false;
    this.release(index);
    return true;
  }

  /**
   * One step: a forward pass over the rows decoding, with the tokens `sample()` chose, then the next
   * chunk of the first long prompt being prefilled (which starts decoding after its last chunk).
   */
  advance(): void {
    this.decode();
    this.prefillChunkOfFirst();
  }

  private prefillChunkOfFirst(): void {
    const entry = this.prefilling[0];
    if (!entry) return;
    const { prompt, cache } = entry;
    const T = Math.min(this.prefillChunk, prompt.tokens.length - entry.done);
    const last = entry.done + T === prompt.tokens.length;
    const C = this.model.config.hiddenSize;
    const adapter = entry.row.options.adapter;
    const logits = this.model.forward({
      batch: 1,
      time: T,
      adapters: adapter && [adapter],
      ...(prompt.embeddings
        ? { embeddings: prompt.embeddings.subarray(entry.done * C, (entry.done + T) * C) }
        : { tokens: Int32Array.from(prompt.tokens.slice(entry.done, entry.done + T)) }),
      cache,
      logits: last ? 'last' : 'none',
    });
    entry.done += T;
    if (!last) return;
    this.prefilling.shift();
    this.reserve(entry.row.positions);
    entry.row.logits = logits;
    this.cache!.copyRow(cache, 0, this.active.length);
    this.active.push(entry.row);
  }

  private decode(): void {
    const B = this.active.length;
    if (B === 0) return;
    const tokens = Int32Array.from(this.active, (row) => row.next);
    const adapters = rowAdapters(this.active.map((row) => row.options));
    const logits = this.model.forward({
      batch: B,
      time: 1,
      tokens,
      cache: this.cache!,
      logits: 'last',
      adapters,
    });
    const V = this.model.config.vocabularySize;
    this.active.forEach((row, index) => {
      row.logits = logits.subarray(index * V, (index + 1) * V);
      row.batchSize = Math.max(row.batchSize, B);
    });
  }

  /** Prefills prompts (right-padded, each after its own prefix) into a cache of their own. */
  private prefill(prompts: PromptInput[]): { logits: Float32Array; cache: KVCache } {
    const B = prompts.length;
    const C = this.model.config.hiddenSize;
    const prefixes = prompts.map((prompt) => prompt.options?.prefix);
    const lengths = Int32Array.from(prompts, (prompt) => prompt.tokens.length);
    const T = Math.max(...lengths);
    // every row runs T positions after its prefix (the padding too), so the longest prefix sets the size
    const cache = this.model.createCache(
      B,
      Math.max(...prefixes.map((prefix) => prefix?.lengths[0] ?? 0)) + T,
    );
    prefixes.forEach((prefix, row) => prefix && cache.copyRow(prefix, 0, row));
    const tokens = new Int32Array(B * T);
    prompts.forEach((prompt, row) => tokens.set(prompt.tokens, row * T));
    const adapters = rowAdapters(prompts.map((prompt) => prompt.options));
    if (!prompts.some((prompt) => prompt.embeddings))
      return {
        logits: this.model.forward({ batch: B, time: T, tokens, lengths, cache, logits: 'last', adapters }),
        cache,
      };
    const embeddings = new Float32Array(B * T * C);
    prompts.forEach((prompt, row) => {
      if (prompt.embeddings)
        embeddings.set(prompt.embeddings.subarray(0, prompt.tokens.length * C), row * T * C);
      else
        prompt.tokens.forEach((token, t) =>
          embeddings.set(tokenEmbeddingRow(this.model, token), (row * T + t) * C),
        );
    });
    return {
      logits: this.model.forward({ batch: B, time: T, embeddings, lengths, cache, logits: 'last', adapters }),
      cache,
    };
  }

  /** Grows the cache (keeping the rows decoding) so a row can fill `positions` positions. */
  private reserve(positions: number): void {
    if (this.cache && this.cache.capacity >= positions) return;
    const grown = Math.min(
      this.model.config.contextLength,
      Math.max(positions, Math.ceil((this.cache?.capacity ?? 0) * 1.5)),
    );
    const cache = this.model.createCache(this.rows, grown);
    this.active.forEach((_, row) => cache.copyRow(this.cache!, row, row));
    this.cache = cache;
  }
}

/** The gap between the two largest finite logits (their log-probability margin); undefined if fewer. */
export function topMargin(logits: Float32Array): number | undefined {
  let first = -Infinity;
  let second = -Infinity;
  for (let index = 0; index < logits.length; index++) {
    const value = logits[index];
    if (value > first) {
      second = first;
      first = value;
    } else if (value > second) second = value;
  }
  return Number.isFinite(second) ? first - second : undefined;
}

/** Each row's adapter (LoRA or prefix; null: none), or undefined when no row has one (the plain forward pass). */
function rowAdapters(options: (GenerationOptions | undefined)[]): (ModelAdapter | null)[] | undefined {
  if (!options.some((option) => option?.adapter)) return undefined;
  return options.map((option) => option?.adapter ?? null);
}
