// Finds and loads the tokenizer for a model: an explicit path, the GGUF's embedded vocabulary,
// a Hugging Face directory's tokenizer.json, or the tok*.bin beside a llama2.c checkpoint.
// tokenizer.json and tokenizer_config.json are read through schemas of the fields promptune relies on.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { NotFoundError, readJsonFile, TokenizerError } from '../../errors/index.js';
import { HuggingFaceTokenizer } from './hf-tokenizer.js';
import { loadLlama2cTokenizer } from './llama2c-tokenizer.js';
import type { Tokenizer } from './types.js';

const tokenId = z.number().int().nonnegative();
const component = z.looseObject({ type: z.string().optional() }).nullable().optional();

/** The parts of tokenizer.json promptune relies on (the runtime checks the rest as it builds). */
const tokenizerJsonSchema = z.looseObject({
  added_tokens: z
    .array(z.looseObject({ id: tokenId, content: z.string(), special: z.boolean().optional() }))
    .optional(),
  normalizer: component,
  pre_tokenizer: component,
  post_processor: component,
  decoder: component,
  model: z.looseObject({
    type: z.string().optional(),
    // BPE and WordPiece map pieces to ids; Unigram lists [piece, score] pairs
    vocab: z.union([z.record(z.string(), tokenId), z.array(z.tuple([z.string(), z.number()]))], {
      error: 'expected an object of piece ids or a list of [piece, score] pairs',
    }),
  }),
});

const specialToken = z
  .union([z.string(), z.looseObject({ content: z.string() })], {
    error: 'expected a token: a string, or an object with a string content',
  })
  .nullable()
  .optional();

/** The parts of tokenizer_config.json promptune reads. */
const tokenizerConfigSchema = z.looseObject({
  bos_token: specialToken,
  eos_token: specialToken,
  add_bos_token: z.boolean().nullable().optional(),
  chat_template: z
    .union([z.string(), z.array(z.looseObject({ name: z.string(), template: z.string() }))], {
      error: 'expected a template string, or a list of {name, template}',
    })
    .nullable()
    .optional(),
});

function readTokenizerJson<Schema extends z.ZodType>(
  path: string,
  schema: Schema,
  what: string,
): z.output<Schema> {
  return readJsonFile(path, schema, {
    where: `${what} ${path}`,
    code: 'TOKENIZER_CORRUPT',
    hint: `${what} is damaged or not a Hugging Face ${what}; fetch the tokenizer files again.`,
    notFoundCode: 'TOKENIZER_NOT_FOUND',
    kind: TokenizerError,
  });
}

/** Loads tokenizer.json (+ tokenizer_config.json beside it) from a file or directory path. */
export function loadTokenizerJson(
  path: string,
  defaults: { eosTokenIds?: number[] } = {},
): HuggingFaceTokenizer {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'tokenizer.json') : path;
  if (!existsSync(file)) {
    throw new NotFoundError(`tokenizer file ${file} does not exist`, {
      code: 'TOKENIZER_NOT_FOUND',
      hint: 'Pass the path of a tokenizer.json, or the directory that holds it.',
    });
  }
  const configPath = join(dirname(file), 'tokenizer_config.json');
  const config: Record<string, unknown> = existsSync(configPath)
    ? readTokenizerJson(configPath, tokenizerConfigSchema, 'tokenizer_config.json')
    : {};
  const tokenizer = readTokenizerJson(file, tokenizerJsonSchema, 'tokenizer.json');
  try {
    return new HuggingFaceTokenizer({ tokenizer, config }, 'tokenizer.json', {
      eosTokenIds: config.eos_token === undefined ? defaults.eosTokenIds : undefined,
    });
  } catch (error) {
    if (TokenizerError.isInstance(error)) throw error;
    throw new TokenizerError(`${file} cannot be loaded: ${(error as Error).message}`, {
      code: 'TOKENIZER_CORRUPT',
      hint: 'The file is not a Hugging Face tokenizer.json.',
      cause: error,
    });
  }
}

/** Loads a tokenizer given by path: tokenizer.json, a directory holding one, or a llama2.c tok*.bin. */
export function loadTokenizerFile(path: string, vocabularySize: number): Tokenizer {
  if (path.endsWith('.bin')) return loadLlama2cTokenizer(path, vocabularySize);
  return loadTokenizerJson(path);
}

/** The llama2.c tokenizer beside a checkpoint: tok<V>.bin, else tokenizer.bin. */
export function llama2cTokenizerBeside(modelPath: string, vocabularySize: number): Tokenizer {
  const directory = dirname(modelPath);
  const candidates = [`tok${vocabularySize}.bin`, 'tokenizer.bin'].map((name) => join(directory, name));
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) {
    throw new NotFoundError(
      `no tokenizer beside ${basename(modelPath)}: looked for ${candidates.join(' and ')}`,
      {
        code: 'TOKENIZER_NOT_FOUND',
        hint: 'Put the llama2.c tokenizer next to the model, or pass --tokenizer <file>.',
      },
    );
  }
  return loadLlama2cTokenizer(found, vocabularySize);
}

/** Refuses a tokenizer whose ids do not fit the model's vocabulary. */
export function checkTokenizerFits(tokenizer: Tokenizer, vocabularySize: number, where: string): void {
  if (tokenizer.vocabularySize > vocabularySize) {
    throw new TokenizerError(
      `the tokenizer has ${tokenizer.vocabularySize} tokens but ${where} has a vocabulary of ${vocabularySize}`,
      {
        code: 'TOKENIZER_MISMATCH',
        hint: 'The tokenizer belongs to a different model; pass the tokenizer that was trained with this model.',
      },
    );
  }
}
