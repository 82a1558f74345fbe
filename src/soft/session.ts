// Generation with a soft prompt: the model's state after BOS and the prompt vectors (the KV prefix) is
// computed once per session and every request continues from a copy of it.
import {
  generate,
  generateStream,
  type Generation,
  type GenerationEvent,
  type GenerationOptions,
  type KVCache,
  type LlamaModel,
  type Tokenizer,
} from '../engine/index.js';
import { ValidationError } from '../errors/index.js';
import type { SoftPrompt } from './soft-prompt.js';

/** A model, its tokenizer and one soft prompt, with the prompt's KV prefix cached. */
export class SoftPromptSession {
  /** Row 0 holds [BOS][prompt] (bos-first) or [prompt][BOS] (peft). */
  readonly prefix: KVCache;

  constructor(
    readonly model: LlamaModel,
    readonly tokenizer: Tokenizer,
    readonly prompt: SoftPrompt,
  ) {
    const C = model.config.hiddenSize;
    const N = prompt.virtualTokens;
    if (prompt.hiddenSize !== C) {
      throw new ValidationError(`the soft prompt has ${prompt.hiddenSize} dimensions, the model ${C}`, {
        code: 'SOFT_PROMPT_MISMATCH',
        hint: 'Use a soft prompt trained for this model.',
      });
    }
    const bos = tokenizer.bosTokenId ?? 0;
    const embeddings = new Float32Array((N + 1) * C);
    const bosRow = model.weights.embedding.subarray(bos * C, (bos + 1) * C);
    if (prompt.layout === 'peft') {
      embeddings.set(prompt.values, 0);
      embeddings.set(bosRow, N * C);
    } else {
      embeddings.set(bosRow, 0);
      embeddings.set(prompt.values, C);
    }
    this.prefix = model.createCache(1, N + 1);
    model.forward({ batch: 1, time: N + 1, embeddings, cache: this.prefix, logits: 'none' });
  }

  /** Token ids of a request: its text without BOS (the prefix holds BOS). */
  private tokens(text: string): number[] {
    const tokens = this.tokenizer.encode(text, { addBos: false });
    if (tokens.length === 0)
      throw new ValidationError('the prompt is empty', {
        code: 'PROMPT_EMPTY',
        hint: 'Give the text the soft prompt should continue.',
      });
    return tokens;
  }

  /** Streams the continuations of `texts` after the soft prompt. */
  stream(texts: string[], options: GenerationOptions = {}): AsyncGenerator<GenerationEvent> {
    return generateStream(
      this.model,
      this.tokenizer,
      texts.map((text) => ({ tokens: this.tokens(text) })),
      { ...options, prefix: this.prefix },
    );
  }

  /** The continuations of `texts` after the soft prompt. */
  generate(texts: string[], options: GenerationOptions = {}): Promise<Generation[]> {
    return generate(
      this.model,
      this.tokenizer,
      texts.map((text) => ({ tokens: this.tokens(text) })),
      { ...options, prefix: this.prefix },
    );
  }
}
