// SentencePiece BPE over a scored vocabulary, as llama.cpp's SPM tokenizer and llama2.c's encode:
// dummy-prefix space, spaces as ▁, highest-score merges first (leftmost on ties), unknown
// characters as <0xNN> byte tokens. Used for GGUF `llama` vocabularies and llama2.c tok*.bin.
import { BinaryHeap } from '../binary-heap.js';
import type { EncodeOptions, Tokenizer } from './types.js';

const encoder = new TextEncoder();

/** Token kinds, numbered as GGUF's token_type. */
export const TokenKind = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

/** A scored SentencePiece vocabulary (pieces use ▁ for spaces). */
export interface SentencePieceVocabulary {
  pieces: string[];
  scores: Float32Array | number[];
  kinds: number[];
  bosTokenId?: number;
  eosTokenIds: number[];
  unknownTokenId?: number;
  addSpacePrefix?: boolean;
  /** Sequences start with BOS (GGUF tokenizer.ggml.add_bos_token; default true). */
  addBos?: boolean;
  chatTemplate?: string;
}

interface Piece {
  text: string;
  previous: number;
  next: number;
}

/** SentencePiece BPE tokenizer. */
export class SentencePieceTokenizer implements Tokenizer {
  readonly vocabularySize: number;
  readonly bosTokenId: number | undefined;
  readonly eosTokenIds: number[];
  readonly chatTemplate: string | undefined;
  private readonly ids = new Map<string, number>();
  private readonly byteIds = new Int32Array(256).fill(-1);
  private readonly userDefined: string[];

  constructor(
    private readonly vocabulary: SentencePieceVocabulary,
    readonly kind: string,
  ) {
    this.vocabularySize = vocabulary.pieces.length;
    this.bosTokenId = vocabulary.bosTokenId;
    this.eosTokenIds = vocabulary.eosTokenIds;
    this.chatTemplate = vocabulary.chatTemplate;
    vocabulary.pieces.forEach((piece, id) => {
      if (vocabulary.kinds[id] === TokenKind.byte) {
        const match = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
        if (match) this.byteIds[parseInt(match[1], 16)] = id;
      } else if (!this.ids.has(piece)) this.ids.set(piece, id);
    });
    // user-defined pieces are matched whole before BPE, longest first (as llama.cpp does)
    this.userDefined = vocabulary.pieces
      .filter((_, id) => vocabulary.kinds[id] === TokenKind.userDefined)
      .sort((a, b) => b.length - a.length);
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const output: number[] = [];
    if ((options.addBos ?? true) && (this.vocabulary.addBos ?? true) && this.bosTokenId !== undefined)
      output.push(this.bosTokenId);
    if (text.length === 0) return output;
    let normalized = text.replaceAll(' ', '▁');
    if (this.vocabulary.addSpacePrefix ?? true) normalized = '▁' + normalized;
    for (const fragment of this.splitUserDefined(normalized)) {
      const id = this.ids.get(fragment);
      if (id !== undefined && this.vocabulary.kinds[id] === TokenKind.userDefined) output.push(id);
      else this.encodeFragment(fragment, output);
    }
    return output;
  }

  private splitUserDefined(text: string): string[] {
    if (this.userDefined.length === 0) return [text];
    const fragments: string[] = [];
    let start = 0;
    for (let i = 0; i < text.length;) {
      const match = this.userDefined.find((piece) => text.startsWith(piece, i));
      if (match) {
        if (i > start) fragments.push(text.slice(start, i));
        fragments.push(match);
        i += match.length;
        start = i;
      } else i++;
    }
    if (start < text.length) fragments.push(text.slice(start));
    return fragments;
  }

  private encodeFragment(text: string, output: number[]): void {
    const characters = Array.from(text);
    const symbols: Piece[] = characters.map((character, i) => ({
      text: character,
      previous: i - 1,
      next: i + 1 < characters.length ? i + 1 : -1,
    }));
    // A max-heap of candidate merges: (score, left index, expected combined text).
    const heap = new BinaryHeap<{ score: number; left: number; right: number; text: string }>(
      (a, b) => a.score > b.score || (a.score === b.score && a.left < b.left),
    );
    const push = (left: number, right: number) => {
      if (left < 0 || right < 0) return;
      const combined = symbols[left].text + symbols[right].text;
      const id = this.ids.get(combined);
      if (id === undefined) return;
      heap.push({ score: this.vocabulary.scores[id], left, right, text: combined });
    };
    for (let i = 1; i < symbols.length; i++) push(i - 1, i);
    while (heap.size > 0) {
      const merge = heap.pop()!;
      const left = symbols[merge.left];
      const right = symbols[merge.right];
      // stale entry: one side was merged away or changed since it was queued
      if (left.next !== merge.right || right.text.length === 0 || left.text + right.text !== merge.text)
        continue;
      left.text = merge.text;
      right.text = '';
      left.next = right.next;
      if (right.next >= 0) symbols[right.next].previous = merge.left;
      push(left.previous, merge.left);
      push(merge.left, left.next);
    }
    for (let i = 0; i >= 0 && i < symbols.length; i = symbols[i].next) {
      const id = this.ids.get(symbols[i].text);
      if (id !== undefined) output.push(id);
      else
        for (const byte of encoder.encode(symbols[i].text))
          output.push(this.byteIds[byte] >= 0 ? this.byteIds[byte] : (this.vocabulary.unknownTokenId ?? 0));
    }
  }

  decode(ids: number[], options: { keepSpecial?: boolean } = {}): string {
    const bytes: number[] = [];
    for (const id of ids) {
      if (this.isSpecial(id) && !options.keepSpecial) continue;
      bytes.push(...this.pieceBytes(id));
    }
    let text = new TextDecoder().decode(new Uint8Array(bytes));
    // the dummy prefix: a leading space that encoding added is removed again
    if ((this.vocabulary.addSpacePrefix ?? true) && text.startsWith(' ')) text = text.slice(1);
    return text;
  }

  tokenBytes(id: number): Uint8Array | undefined {
    if (id < 0 || id >= this.vocabularySize || this.isSpecial(id)) return undefined;
    return this.pieceBytes(id);
  }

  /** The bytes a piece stands for: a byte token's one byte, else its text with ▁ as a space. */
  private pieceBytes(id: number): Uint8Array {
    if (this.vocabulary.kinds[id] === TokenKind.byte)
      return Uint8Array.of(parseInt(this.vocabulary.pieces[id].slice(3, 5), 16));
    return encoder.encode((this.vocabulary.pieces[id] ?? '').replaceAll('▁', ' '));
  }

  isSpecial(id: number): boolean {
    const kind = this.vocabulary.kinds[id];
    return kind === TokenKind.control || kind === TokenKind.unknown || kind === TokenKind.unused;
  }
}
