// The tokenizer contract the engine and everything above it uses, whatever the vocabulary's source
// (tokenizer.json, a GGUF vocabulary, llama2.c tok*.bin).

/** Options for encoding text. */
export interface EncodeOptions {
  /** Prepend the beginning-of-sequence token if this model's sequences start with one (default true); false never does. */
  addBos?: boolean;
}

/** Text to ids and back. */
export interface Tokenizer {
  /** Where the vocabulary came from: `tokenizer.json`, `gguf:llama`, `gguf:gpt2`, `llama2c`. */
  readonly kind: string;
  readonly vocabularySize: number;
  readonly bosTokenId: number | undefined;
  readonly eosTokenIds: number[];
  /** A Jinja chat template, when the model ships one. */
  readonly chatTemplate: string | undefined;
  encode(text: string, options?: EncodeOptions): number[];
  /** Decodes ids to text; special tokens (BOS, EOS, ...) are skipped unless asked for. */
  decode(ids: number[], options?: { keepSpecial?: boolean }): string;
  /** True for control tokens such as BOS and EOS. */
  isSpecial(id: number): boolean;
  /**
   * The bytes a token adds to text that came before it (a byte token's one byte); undefined for control
   * tokens. Optional: constrained decoding reads the tokens that hold part of a character with it.
   */
  tokenBytes?(id: number): Uint8Array | undefined;
}
