// Generation with a trained adapter: a soft prompt, a LoRA adapter, both, or a key/value prefix (whose
// placeholders are the prompt). The model's state after BOS and the prompt vectors (the KV prefix,
// computed with the adapter) is computed once per session and every request continues from a copy of it,
// running with the same adapter.
import {
  checkAdapterPlaced,
  generate,
  generateStream,
  type Generation,
  type GenerationEvent,
  type GenerationOptions,
  type KVCache,
  type LlamaModel,
  type ModelAdapter,
  type Tokenizer,
  tokenEmbeddingRow,
} from '../engine/index.js';
import { ValidationError } from '../errors/index.js';
import { checkPromptFits, type SoftPrompt } from './soft-prompt.js';

/**
 * A model, its tokenizer, one soft prompt (no vectors for LoRA alone; a prefix's placeholders, in PEFT's
 * layout, for a prefix) and adapter, with the KV prefix cached.
 */
export class SoftPromptSession {
  /**
   * Row 0 holds [BOS][prompt] (bos-first), [prompt][BOS] (peft), or [prompt] for models without BOS;
   * undefined when that is nothing (a LoRA adapter alone on a model without BOS).
   */
  readonly prefix: KVCache | undefined;

  constructor(
    readonly model: LlamaModel,
    readonly tokenizer: Tokenizer,
    readonly prompt: SoftPrompt,
    readonly adapter?: ModelAdapter,
  ) {
    const C = model.config.hiddenSize;
    const N = prompt.virtualTokens;
    checkPromptFits(prompt, model);
    // a prefix's placeholders are the prompt, first: [placeholders][BOS]
    checkAdapterPlaced(adapter, prompt.layout === 'peft' ? N : 0);
    // the prefix is everything before the request's own tokens: BOS (when the model uses one) and the prompt
    const bos =
      tokenizer.bosTokenId !== undefined && tokenizer.encode('a')[0] === tokenizer.bosTokenId
        ? tokenizer.bosTokenId
        : undefined;
    const length = N + (bos === undefined ? 0 : 1);
    const embeddings = new Float32Array(length * C);
    if (bos === undefined) embeddings.set(prompt.values, 0);
    else {
      const bosRow = tokenEmbeddingRow(model, bos);
      embeddings.set(prompt.layout === 'peft' ? prompt.values : bosRow, 0);
      embeddings.set(prompt.layout === 'peft' ? bosRow : prompt.values, prompt.layout === 'peft' ? N * C : C);
    }
    if (length === 0) return;
    this.prefix = model.createCache(1, length);
    model.forward({
      batch: 1,
      time: length,
      embeddings,
      cache: this.prefix,
      logits: 'none',
      adapters: adapter && [adapter],
    });
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
      { ...options, prefix: this.prefix, adapter: this.adapter },
    );
  }

  /** The continuations of `texts` after the soft prompt. */
  generate(texts: string[], options: GenerationOptions = {}): Promise<Generation[]> {
    return generate(
      this.model,
      this.tokenizer,
      texts.map((text) => ({ tokens: this.tokens(text) })),
      { ...options, prefix: this.prefix, adapter: this.adapter },
    );
  }
}
