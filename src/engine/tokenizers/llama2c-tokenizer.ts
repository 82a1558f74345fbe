// llama2.c tokenizer files (tok512.bin, tokenizer.bin): int32 max piece length, then per id a float32
// score (never NaN), an int32 byte length and the piece bytes. Read into a SentencePiece vocabulary.
import { readFileSync } from 'node:fs';
import { NotFoundError, TokenizerError } from '../../errors/index.js';
import { SentencePieceTokenizer, TokenKind } from './sentencepiece.js';

/** Reads a llama2.c tokenizer for a model with `vocabularySize` tokens. */
export function loadLlama2cTokenizer(path: string, vocabularySize: number): SentencePieceTokenizer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new NotFoundError(`tokenizer file ${path} does not exist`, {
      code: 'TOKENIZER_NOT_FOUND',
      hint: `llama2.c models need their tokenizer (tok${vocabularySize}.bin or tokenizer.bin) beside the .bin, or pass --tokenizer.`,
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pieces: string[] = [];
  const scores = new Float32Array(vocabularySize);
  const kinds: number[] = [];
  const fail = (what: string) =>
    new TokenizerError(`${path}: ${what}`, {
      code: 'TOKENIZER_CORRUPT',
      hint: `Expected a llama2.c tokenizer with ${vocabularySize} pieces (the model's vocabulary size); is it the right file?`,
    });
  let offset = 4;
  const decoder = new TextDecoder();
  for (let id = 0; id < vocabularySize; id++) {
    if (offset + 8 > bytes.length) throw fail(`ends after ${id} pieces`);
    scores[id] = view.getFloat32(offset, true);
    if (Number.isNaN(scores[id])) throw fail(`piece ${id} has the score NaN (at byte ${offset})`);
    const length = view.getInt32(offset + 4, true);
    offset += 8;
    if (length < 0 || offset + length > bytes.length)
      throw fail(`piece ${id} has an impossible length ${length}`);
    const piece = decoder.decode(bytes.subarray(offset, offset + length));
    offset += length;
    // llama2.c writes ▁ as a space and BOS/EOS as "\n<s>\n" / "\n</s>\n"
    const kind =
      id === 0
        ? TokenKind.unknown
        : /^\n<\/?s>\n$/.test(piece)
          ? TokenKind.control
          : /^<0x[0-9A-F]{2}>$/.test(piece)
            ? TokenKind.byte
            : TokenKind.normal;
    pieces.push(kind === TokenKind.normal ? piece.replaceAll(' ', '▁') : piece.trim());
    kinds.push(kind);
  }
  if (offset !== bytes.length)
    throw fail(`has ${bytes.length - offset} bytes left over after ${vocabularySize} pieces`);
  return new SentencePieceTokenizer(
    { pieces, scores, kinds, bosTokenId: 1, eosTokenIds: [2], unknownTokenId: 0 },
    'llama2c',
  );
}
