// Tokenizers from a GGUF file's embedded vocabulary: `llama` (SentencePiece, run by sentencepiece.ts)
// and `gpt2` (byte-level BPE, converted to a tokenizer.json object for @huggingface/tokenizers).
// The pre-tokenizer of a BPE vocabulary is chosen from `tokenizer.ggml.pre` by a table. The metadata
// it uses is checked by a schema first, so a value of the wrong type is a TokenizerError, not a crash.
import { z } from 'zod';
import { parseInput, TokenizerError } from '../../errors/index.js';
import { ggufInteger } from '../weights/gguf.js';
import { HuggingFaceTokenizer } from './hf-tokenizer.js';
import { SentencePieceTokenizer, TokenKind } from './sentencepiece.js';
import type { Tokenizer } from './types.js';

const byteLevel = (useRegex: boolean) => ({
  type: 'ByteLevel',
  add_prefix_space: false,
  trim_offsets: true,
  use_regex: useRegex,
});
const split = (pattern: string) => ({
  type: 'Split',
  pattern: { Regex: pattern },
  behavior: 'Isolated',
  invert: false,
});

/**
 * tokenizer.json pre-tokenizers for GGUF `tokenizer.ggml.pre` values (as llama.cpp's llama-vocab.cpp).
 * The upstream patterns open with `(?i:'s|'t|...)`; JavaScript regexes (Node 20) have no inline flags,
 * so the contractions spell out both cases.
 */
export const byteLevelPreTokenizers: Record<string, object> = {
  default: byteLevel(true),
  'gpt-2': byteLevel(true),
  'llama-bpe': {
    type: 'Sequence',
    pretokenizers: [
      split(
        "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
      ),
      byteLevel(false),
    ],
  },
  qwen2: {
    type: 'Sequence',
    pretokenizers: [
      split(
        "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
      ),
      byteLevel(false),
    ],
  },
  smollm: { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, byteLevel(true)] },
};

type Metadata = Record<string, unknown>;

/** A score: any number but NaN (-Infinity marks a piece that never merges). */
const score = z.custom<number>((value) => typeof value === 'number' && !Number.isNaN(value), {
  message: 'expected a number (not NaN)',
});

const vocabularySchema = z.looseObject({
  'tokenizer.ggml.model': z.string().optional(),
  'tokenizer.ggml.tokens': z.array(z.string()).optional(),
  'tokenizer.ggml.scores': z.array(score).optional(),
  'tokenizer.ggml.token_type': z.array(ggufInteger).optional(),
  'tokenizer.ggml.merges': z.array(z.string()).optional(),
  'tokenizer.ggml.pre': z.string().optional(),
  'tokenizer.ggml.bos_token_id': ggufInteger.optional(),
  'tokenizer.ggml.eos_token_id': ggufInteger.optional(),
  'tokenizer.ggml.eot_token_id': ggufInteger.optional(),
  'tokenizer.ggml.unknown_token_id': ggufInteger.optional(),
  'tokenizer.ggml.add_bos_token': z.boolean().optional(),
  'tokenizer.ggml.add_space_prefix': z.boolean().optional(),
  'tokenizer.chat_template': z.string().optional(),
});

/** The tokenizer embedded in GGUF metadata; `where` names the file in errors. */
export function ggufTokenizer(raw: Metadata, where: string): Tokenizer {
  const hint =
    'The GGUF vocabulary is corrupt; convert the model again, or pass --tokenizer with its tokenizer.json.';
  const metadata = parseInput(vocabularySchema, raw, {
    where: `GGUF vocabulary of ${where}`,
    code: 'TOKENIZER_CORRUPT',
    hint,
    kind: TokenizerError,
  });
  const model = metadata['tokenizer.ggml.model'];
  const pieces = metadata['tokenizer.ggml.tokens'];
  if (!pieces || !model) {
    throw new TokenizerError(`${where} has no embedded vocabulary`, {
      code: 'TOKENIZER_NOT_FOUND',
      hint: 'Pass --tokenizer with a tokenizer.json for this model.',
    });
  }
  for (const key of ['tokenizer.ggml.scores', 'tokenizer.ggml.token_type'] as const) {
    const length = metadata[key]?.length;
    if (length !== undefined && length !== pieces.length)
      throw new TokenizerError(
        `${where}: ${key} has ${length} entries, tokenizer.ggml.tokens ${pieces.length}`,
        {
          code: 'TOKENIZER_CORRUPT',
          hint,
        },
      );
  }
  const kinds = metadata['tokenizer.ggml.token_type'] ?? pieces.map(() => TokenKind.normal);
  const id = (key: 'bos_token_id' | 'eos_token_id' | 'eot_token_id' | 'unknown_token_id') => {
    const value = metadata[`tokenizer.ggml.${key}`];
    return typeof value === 'number' && value >= 0 && value < pieces.length ? value : undefined;
  };
  const bos = id('bos_token_id');
  const eos = id('eos_token_id');
  const eot = id('eot_token_id');
  const eosTokenIds = [...new Set([eos, eot].filter((x): x is number => x !== undefined))];
  const chatTemplate = metadata['tokenizer.chat_template'];
  const addBos = metadata['tokenizer.ggml.add_bos_token'];
  if (model === 'llama') {
    return new SentencePieceTokenizer(
      {
        pieces,
        scores: metadata['tokenizer.ggml.scores'] ?? pieces.map(() => 0),
        kinds,
        bosTokenId: bos,
        eosTokenIds,
        unknownTokenId: id('unknown_token_id'),
        addSpacePrefix: metadata['tokenizer.ggml.add_space_prefix'] ?? true,
        addBos: addBos ?? true,
        chatTemplate,
      },
      'gguf:llama',
    );
  }
  if (model === 'gpt2') {
    const pre = metadata['tokenizer.ggml.pre'] ?? 'default';
    const preTokenizer = Object.hasOwn(byteLevelPreTokenizers, pre) ? byteLevelPreTokenizers[pre] : undefined;
    if (!preTokenizer) {
      throw new TokenizerError(`${where}: BPE pre-tokenizer "${pre}" is not supported`, {
        code: 'TOKENIZER_UNSUPPORTED',
        hint: `Supported: ${Object.keys(byteLevelPreTokenizers).join(', ')}. Or pass --tokenizer with the model's tokenizer.json.`,
      });
    }
    // own properties even for a piece named __proto__ (plain assignment would set the prototype)
    const vocabulary: Record<string, number> = Object.fromEntries(
      pieces.map((piece, index) => [piece, index]),
    );
    const added = pieces
      .map((content, index) => ({ content, index, kind: kinds[index] }))
      .filter(({ kind }) => kind === TokenKind.control || kind === TokenKind.userDefined)
      .map(({ content, index, kind }) => ({
        id: index,
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: kind === TokenKind.control,
      }));
    const tokenizer = {
      version: '1.0',
      added_tokens: added,
      normalizer: null,
      pre_tokenizer: preTokenizer,
      post_processor: null,
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: '',
        end_of_word_suffix: '',
        fuse_unk: false,
        byte_fallback: false,
        vocab: vocabulary,
        merges: metadata['tokenizer.ggml.merges'] ?? [],
      },
    };
    return new HuggingFaceTokenizer({ tokenizer, config: { chat_template: chatTemplate } }, 'gguf:gpt2', {
      bosTokenId: bos,
      eosTokenIds,
      addBos: addBos ?? false,
    });
  }
  throw new TokenizerError(`${where}: tokenizer model "${String(model)}" is not supported`, {
    code: 'TOKENIZER_UNSUPPORTED',
    hint: 'Supported GGUF vocabularies: llama (SentencePiece) and gpt2 (byte-level BPE).',
  });
}
