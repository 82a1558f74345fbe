// Text generation on a LlamaModel: prefill with a KV cache, then one token per step for every row
// of a right-padded batch, with sampling, stop tokens and strings, and streaming of text deltas.
// Every row may bring its own options (sampling, length, stop strings, seed and a cached prefix such
// as its own soft prompt), so requests for different tasks share one forward pass per step.
// Prompts are token ids or input embeddings; tokenizing text is the caller's (see session.ts).
import { ValidationError } from '../errors/index.js';
import type { KVCache } from './kv-cache.js';
import type { LlamaModel } from './llama.js';
import { seededRandom } from './random.js';
import { sampleToken, validateSampling, type SamplingOptions } from './sampling.js';
import { TextStream } from './text-stream.js';
import type { Tokenizer } from './tokenizers/types.js';

/** Options for one generation request. */
export interface GenerationOptions extends SamplingOptions {
  /** Most new tokens per row (default 128). */
  maxTokens?: number;
  /** Text that ends generation; it is not included in the output. */
  stop?: string[];
  /** Seed of the sampler's random source (default 0), so every run is reproducible. */
  seed?: number;
  /** Stop at the model's end-of-sequence tokens (default true). */
  stopAtEos?: boolean;
  /**
   * A cache holding a shared prefix in row 0 (e.g. BOS and a soft prompt, computed once): every row
   * continues from it, and prompts hold only the tokens after it.
   */
  prefix?: KVCache;
}

/** Why a row stopped: its token budget, an end-of-sequence token, or a stop string. */
export type FinishReason = 'length' | 'eos' | 'stop';

/** One row's result. */
export interface Generation {
  tokens: number[];
  text: string;
  finishReason: FinishReason;
}

/** A streaming event: new text for a row, or a row that finished. */
export type GenerationEvent =
  { row: number; token: number; delta: string } | { row: number; done: Generation };

/** A prompt for one row: token ids, with optional input embeddings of the same length to use instead of them. */
export interface PromptInput {
  tokens: number[];
  /** (tokens.length, C) embeddings fed in place of the tokens' own (soft prompts). */
  embeddings?: Float32Array;
  /** This row's own options, over the shared ones (a mixed batch: each row its own prefix and sampling). */
  options?: GenerationOptions;
}

/**
 * Generates continuations for a batch of prompts at once, yielding text deltas as they become safe
 * to show. Rows are right-padded; every row's result equals generating it alone.
 */
export async function* generateStream(
  model: LlamaModel,
  tokenizer: Tokenizer,
  prompts: PromptInput[],
  options: GenerationOptions = {},
): AsyncGenerator<GenerationEvent> {
  const B = prompts.length;
  if (B === 0) return;
  const rowOptions = prompts.map((prompt) => ({ ...options, ...prompt.options }));
  const maxTokens = rowOptions.map((row) => row.maxTokens ?? 128);
  rowOptions.forEach((row, index) => {
    validateSampling(row);
    if (!Number.isInteger(maxTokens[index]) || maxTokens[index] < 0) {
      throw new ValidationError(`maxTokens is ${maxTokens[index]}, expected a whole number >= 0`, {
        code: 'SAMPLING_INVALID',
        hint: 'Pass --max-tokens 1 or more.',
      });
    }
  });
  const prefixLengths = rowOptions.map((row) => (row.prefix ? row.prefix.lengths[0] : 0));
  const lengths = Int32Array.from(prompts, (prompt) => prompt.tokens.length);
  const T = Math.max(...lengths);
  const contextLength = model.config.contextLength;
  prompts.forEach((prompt, row) => {
    if (prompt.tokens.length === 0)
      throw new ValidationError(`prompt ${row} is empty`, {
        code: 'PROMPT_EMPTY',
        hint: 'Give at least one token (most models start with BOS).',
      });
    const used = prefixLengths[row] + prompt.tokens.length;
    if (used + Math.max(maxTokens[row], 1) > contextLength + 1 || used > contextLength) {
      throw new ValidationError(
        `prompt ${row} has ${used} tokens${prefixLengths[row] ? ` (${prefixLengths[row]} in the prefix)` : ''}; with ${maxTokens[row]} new tokens it exceeds the context of ${contextLength}`,
        {
          code: 'CONTEXT_OVERFLOW',
          hint: `Shorten the prompt or lower maxTokens to at most ${Math.max(0, contextLength - used)}.`,
        },
      );
    }
  });
  const C = model.config.hiddenSize;
  const eos = rowOptions.map((row) => new Set(row.stopAtEos === false ? [] : tokenizer.eosTokenIds));
  // one random source per row, so a row samples the same tokens whatever else is in the batch
  const randoms = rowOptions.map((row) => seededRandom(row.seed ?? 0));
  // finished rows keep stepping until the longest row is done, so every row needs the longest budget
  const capacity = Math.max(...prefixLengths) + T + Math.max(...maxTokens);
  const cache = model.createCache(B, Math.min(contextLength, capacity));
  rowOptions.forEach((row, index) => row.prefix && cache.copyRow(row.prefix, 0, index));
  const generated: number[][] = prompts.map(() => []);
  const streams = prompts.map(
    (prompt, row) => new TextStream(tokenizer, prompt.tokens, rowOptions[row].stop),
  );
  const finished: (FinishReason | undefined)[] = prompts.map(() => undefined);
  for (let row = 0; row < B; row++) {
    if (maxTokens[row] > 0) continue;
    finished[row] = 'length';
    yield { row, done: { tokens: [], text: '', finishReason: 'length' } };
  }
  if (finished.every((reason) => reason !== undefined)) return;

  // prefill: right-padded token ids, or embeddings where a prompt brings its own
  const tokens = new Int32Array(B * T);
  prompts.forEach((prompt, row) => tokens.set(prompt.tokens, row * T));
  let logits: Float32Array;
  if (prompts.some((prompt) => prompt.embeddings)) {
    const embeddings = new Float32Array(B * T * C);
    prompts.forEach((prompt, row) => {
      if (prompt.embeddings)
        embeddings.set(prompt.embeddings.subarray(0, prompt.tokens.length * C), row * T * C);
      else
        for (let t = 0; t < prompt.tokens.length; t++)
          embeddings.set(
            model.weights.embedding.subarray(prompt.tokens[t] * C, (prompt.tokens[t] + 1) * C),
            (row * T + t) * C,
          );
    });
    logits = model.forward({ batch: B, time: T, embeddings, lengths, cache, logits: 'last' });
  } else {
    logits = model.forward({ batch: B, time: T, tokens, lengths, cache, logits: 'last' });
  }

  const V = model.config.vocabularySize;
  const next = new Int32Array(B);
  while (finished.some((reason) => reason === undefined)) {
    for (let row = 0; row < B; row++) {
      if (finished[row]) continue;
      const context = [...prompts[row].tokens, ...generated[row]];
      const token = sampleToken(
        logits.subarray(row * V, (row + 1) * V),
        rowOptions[row],
        context,
        randoms[row],
      );
      next[row] = token;
      if (eos[row].has(token)) {
        finished[row] = 'eos';
      } else {
        generated[row].push(token);
        const delta = streams[row].push(generated[row]);
        if (streams[row].stoppedBy !== undefined) finished[row] = 'stop';
        else if (generated[row].length >= maxTokens[row]) finished[row] = 'length';
        if (delta) yield { row, token, delta };
      }
      if (finished[row]) {
        const delta = streams[row].push(generated[row], true);
        if (delta) yield { row, token, delta };
        yield {
          row,
          done: { tokens: generated[row], text: streams[row].text, finishReason: finished[row]! },
        };
      }
    }
    if (finished.every((reason) => reason !== undefined)) break;
    // let other work (I/O, other requests) run between steps
    await new Promise((resolve) => setImmediate(resolve));
    // finished rows keep stepping with their last token; their outputs are ignored
    logits = model.forward({ batch: B, time: 1, tokens: next, cache, logits: 'last' });
  }
}

/** Generates and collects every row's result. */
export async function generate(
  model: LlamaModel,
  tokenizer: Tokenizer,
  prompts: PromptInput[],
  options: GenerationOptions = {},
): Promise<Generation[]> {
  const results: Generation[] = new Array(prompts.length);
  for await (const event of generateStream(model, tokenizer, prompts, options))
    if ('done' in event) results[event.row] = event.done;
  return results;
}
