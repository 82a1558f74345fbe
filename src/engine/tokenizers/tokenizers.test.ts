// Every tokenizer test vector in ../shared/models passes exactly: stories260K's cases through its
// GGUF vocabulary, tok512.bin and tokenizer.json; llama.cpp's llama-spm and gpt-2 vectors through
// their GGUF vocabularies; GPT-2's tokenizer.json on the same gpt-2 vectors.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedModels, stories } from '../../../test/models.js';
import { readGgufHeader } from '../weights/gguf.js';
import { ggufTokenizer } from './gguf-tokenizer.js';
import { loadLlama2cTokenizer } from './llama2c-tokenizer.js';
import { loadTokenizerJson } from './load-tokenizer.js';
import { longestTokenText, surelyMoreTokens } from './token-texts.js';
import type { Tokenizer } from './types.js';

/** llama.cpp's vector files: strings separated by a marker line, one line of ids per string. */
function llamaCppCases(name: string): { text: string; ids: number[] }[] {
  const inputs = readFileSync(join(sharedModels, 'llamacpp-vocab', `${name}.inp`), 'utf8').split(
    '\n__ggml_vocab_test__\n',
  );
  const outputs = readFileSync(join(sharedModels, 'llamacpp-vocab', `${name}.out`), 'utf8')
    .replace(/\n$/, '')
    .split('\n');
  // the .inp file ends with a marker, which leaves one empty piece after the last case
  if (inputs[inputs.length - 1] === '') inputs.pop();
  expect(inputs.length).toBe(outputs.length);
  return inputs.map((text, i) => ({
    text,
    ids: outputs[i].trim() === '' ? [] : outputs[i].trim().split(/\s+/).map(Number),
  }));
}

async function vocabularyOf(path: string): Promise<Tokenizer> {
  const { metadata, reader } = await readGgufHeader(path);
  reader.close();
  return ggufTokenizer(metadata, path);
}

const storiesCases = JSON.parse(
  readFileSync(join(sharedModels, 'stories260K', 'tokenizer_cases.json'), 'utf8'),
).cases as { text: string; ids: number[] }[];

describe.each([
  ['GGUF vocabulary', () => vocabularyOf(stories.gguf)],
  ['tok512.bin', async () => loadLlama2cTokenizer(stories.tokenizer512, 512)],
  ['tokenizer.json', async () => loadTokenizerJson(stories.huggingFace)],
])('stories260K through its %s', (_source, load) => {
  it('encodes all tokenizer_cases.json strings exactly, with and without BOS', async () => {
    const tokenizer = await load();
    expect(storiesCases.length).toBe(10);
    for (const { text, ids } of storiesCases) {
      expect(tokenizer.encode(text, { addBos: false })).toEqual(ids);
      expect(tokenizer.encode(text)).toEqual([1, ...ids]);
    }
  });
  it('decodes what it encodes', async () => {
    const tokenizer = await load();
    for (const { text } of storiesCases)
      if (!text.startsWith(' ')) expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
    expect(tokenizer.decode([])).toBe(''); // every tokenizer alike (the tokenizer.json runtime threw)
  });
  it('never covers more characters with one token than its longest token text (the cheap length bound)', async () => {
    const tokenizer = await load();
    const texts = [
      ...storiesCases.map((each) => each.text),
      'Once upon a time '.repeat(50),
      'é e\u0301 ﬁ 😀 \u00a0 <s></s> <|endoftext|> 日本語',
    ];
    for (const text of texts) {
      const tokens = tokenizer.encode(text, { addBos: false }).length;
      expect(text.length).toBeLessThanOrEqual(tokens * longestTokenText(tokenizer));
      expect(surelyMoreTokens(tokenizer, text, tokens)).toBe(false);
    }
  });
});

describe('llama.cpp vocabulary vectors', () => {
  it.each(['ggml-vocab-llama-spm.gguf', 'ggml-vocab-gpt-2.gguf'])('%s: all cases exactly', async (name) => {
    const tokenizer = await vocabularyOf(join(sharedModels, 'llamacpp-vocab', name));
    const cases = llamaCppCases(name);
    expect(cases.length).toBe(46);
    const failures = cases.filter(
      ({ text, ids }) => JSON.stringify(tokenizer.encode(text, { addBos: false })) !== JSON.stringify(ids),
    );
    expect(failures).toEqual([]);
  });

  it('GPT-2 tokenizer.json passes the gpt-2 cases and the known examples', () => {
    const tokenizer = loadTokenizerJson(join(sharedModels, 'gpt2-tokenizer'));
    const failures = llamaCppCases('ggml-vocab-gpt-2.gguf').filter(
      ({ text, ids }) => JSON.stringify(tokenizer.encode(text)) !== JSON.stringify(ids),
    );
    expect(failures).toEqual([]);
    expect(tokenizer.encode('Hello world')).toEqual([15496, 995]);
    expect(tokenizer.encode(' Hello world')).toEqual([18435, 995]);
    expect(tokenizer.bosTokenId === undefined || tokenizer.encode('a')[0] !== tokenizer.bosTokenId).toBe(
      true,
    );
  });

  it('the llama SentencePiece vocabulary adds BOS by default and round-trips text', async () => {
    const tokenizer = await vocabularyOf(join(sharedModels, 'llamacpp-vocab', 'ggml-vocab-llama-spm.gguf'));
    const ids = tokenizer.encode('Hello world, this is ü and 🦙!');
    expect(ids[0]).toBe(1);
    expect(tokenizer.decode(ids)).toBe('Hello world, this is ü and 🦙!');
  });
});
