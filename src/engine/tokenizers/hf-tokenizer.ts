// Tokenizers described by a Hugging Face tokenizer.json, run by @huggingface/tokenizers. Also wraps
// GGUF byte-level BPE vocabularies, which are converted to a tokenizer.json object first.
import { Tokenizer as HfTokenizerRuntime } from '@huggingface/tokenizers';
import { TokenizerError } from '../../errors/index.js';
import type { EncodeOptions, Tokenizer } from './types.js';

/** A tokenizer.json object and its tokenizer_config.json (parsed). */
export interface TokenizerFiles {
  tokenizer: Record<string, unknown>;
  config: Record<string, unknown>;
}

/** A tokenizer run by @huggingface/tokenizers. */
export class HuggingFaceTokenizer implements Tokenizer {
  readonly vocabularySize: number;
  readonly bosTokenId: number | undefined;
  readonly eosTokenIds: number[];
  readonly chatTemplate: string | undefined;
  private readonly runtime: HfTokenizerRuntime;
  private readonly specialIds: Set<number>;
  /** Whether the post-processor itself adds BOS (then encode's addBos toggles add_special_tokens). */
  private readonly postProcessorAddsBos: boolean;
  /** Whether this model's sequences start with BOS (tokenizer_config's add_bos_token, else the post-processor). */
  private readonly addBosByDefault: boolean;

  constructor(
    files: TokenizerFiles,
    readonly kind: string,
    options: { bosTokenId?: number; eosTokenIds?: number[]; addBos?: boolean } = {},
  ) {
    this.runtime = new HfTokenizerRuntime(files.tokenizer, files.config);
    // a loop, not Math.max(...ids): spreading a 150k-entry vocabulary overflows the call stack
    let largest = -1;
    for (const id of this.runtime.get_vocab(true).values()) largest = Math.max(largest, id);
    if (largest < 0)
      throw new TokenizerError('the tokenizer has an empty vocabulary', {
        code: 'TOKENIZER_CORRUPT',
        hint: 'The tokenizer file is damaged; fetch it again.',
      });
    this.vocabularySize = largest + 1;
    const added = (files.tokenizer.added_tokens ?? []) as { id: number; content: string; special: boolean }[];
    this.specialIds = new Set(added.filter((token) => token.special).map((token) => token.id));
    const idOf = (value: unknown) => {
      const content =
        typeof value === 'string' ? value : (value as { content?: string } | undefined)?.content;
      return content === undefined ? undefined : this.runtime.token_to_id(content);
    };
    this.bosTokenId = options.bosTokenId ?? idOf(files.config.bos_token);
    const eos =
      options.eosTokenIds ?? [idOf(files.config.eos_token)].filter((id): id is number => id !== undefined);
    this.eosTokenIds = eos;
    this.chatTemplate =
      typeof files.config.chat_template === 'string' ? files.config.chat_template : undefined;
    const probe = this.runtime.encode('a', { add_special_tokens: true }).ids;
    this.postProcessorAddsBos = this.bosTokenId !== undefined && probe[0] === this.bosTokenId;
    this.addBosByDefault =
      options.addBos ?? (files.config.add_bos_token as boolean | undefined) ?? this.postProcessorAddsBos;
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids = this.runtime.encode(text, { add_special_tokens: false }).ids;
    const addBos = options.addBos ?? true;
    if (addBos && this.addBosByDefault && this.bosTokenId !== undefined) return [this.bosTokenId, ...ids];
    return ids;
  }

  decode(ids: number[], options: { keepSpecial?: boolean } = {}): string {
    if (ids.length === 0) return ''; // as the other tokenizers answer; the runtime throws on none
    return this.runtime.decode(ids, { skip_special_tokens: !options.keepSpecial });
  }

  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }
}
