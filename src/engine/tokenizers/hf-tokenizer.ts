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
  /** A piece's bytes, as the tokenizer.json's decoder reads it (undefined: a decoder this does not know). */
  private readonly pieceBytes: ((piece: string) => Uint8Array | undefined) | undefined;

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
    this.pieceBytes = pieceReader(files.tokenizer.decoder);
  }

  tokenBytes(id: number): Uint8Array | undefined {
    if (this.isSpecial(id)) return undefined;
    const piece = this.runtime.id_to_token(id);
    return piece === undefined ? undefined : this.pieceBytes?.(piece);
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

/** The decoders a tokenizer.json names, a Sequence's in order. */
function decoderTypes(decoder: unknown): string[] {
  const object = decoder as { type?: unknown; decoders?: unknown[] } | null | undefined;
  if (!object || typeof object !== 'object') return [];
  if (object.type === 'Sequence' && Array.isArray(object.decoders))
    return object.decoders.flatMap(decoderTypes);
  return typeof object.type === 'string' ? [object.type] : [];
}

/**
 * How a piece becomes bytes under this decoder: byte-level BPE (GPT-2's table of a printable character
 * for each byte), or SentencePiece's byte fallback (`<0xE6>` one byte, ▁ a space); undefined for
 * another decoder, whose tokens' bytes are not told.
 */
function pieceReader(decoder: unknown): ((piece: string) => Uint8Array | undefined) | undefined {
  const types = decoderTypes(decoder);
  if (types.includes('ByteLevel')) {
    const byteOf = byteLevelTable();
    return (piece) => {
      const bytes = new Uint8Array(piece.length);
      let length = 0;
      for (const character of piece) {
        const byte = byteOf.get(character);
        if (byte === undefined) return undefined;
        bytes[length++] = byte;
      }
      return bytes.subarray(0, length);
    };
  }
  if (types.includes('ByteFallback')) {
    const encoder = new TextEncoder();
    return (piece) => {
      const match = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
      return match ? Uint8Array.of(parseInt(match[1], 16)) : encoder.encode(piece.replaceAll('▁', ' '));
    };
  }
  return undefined;
}

/** GPT-2's byte-level table, inverted: the printable character standing for each byte, to the byte. */
function byteLevelTable(): Map<string, number> {
  const printable = (byte: number) =>
    (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
  const table = new Map<string, number>();
  let extra = 0;
  for (let byte = 0; byte < 256; byte++)
    table.set(String.fromCodePoint(printable(byte) ? byte : 256 + extra++), byte);
  return table;
}
