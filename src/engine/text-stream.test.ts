// TextStream on real tokenizers (byte-level BPE, SentencePiece with byte fallback, a 512-piece llama2.c
// vocabulary): fed one id at a time, its deltas join to exactly the text of decoding prompt and output
// together minus the prompt's, it shows no piece of a stop string, and it cuts at the first stop.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedModels, stories } from '../../test/models.js';
import { seededRandom } from './random.js';
import { TextStream } from './text-stream.js';
import { ggufTokenizer } from './tokenizers/gguf-tokenizer.js';
import { loadLlama2cTokenizer } from './tokenizers/llama2c-tokenizer.js';
import { loadTokenizerJson } from './tokenizers/load-tokenizer.js';
import type { Tokenizer } from './tokenizers/types.js';
import { readGgufHeader } from './weights/gguf.js';

async function vocabularyOf(path: string): Promise<Tokenizer> {
  const { metadata, reader } = await readGgufHeader(path);
  reader.close();
  return ggufTokenizer(metadata, path);
}

const texts = [
  ...readFileSync(join(sharedModels, 'llamacpp-vocab', 'ggml-vocab-llama-spm.gguf.inp'), 'utf8')
    .split('\n__ggml_vocab_test__\n')
    .filter((text) => text.length > 0),
  'Once upon a time, Tom saw a café — naïve 🦙 résumé 日本語 テキスト.\nThe end. The end!',
];

/** Streams `generated` one id at a time; returns the deltas and the stream. */
function stream(tokenizer: Tokenizer, prompt: number[], generated: number[], stop: string[] = []) {
  const textStream = new TextStream(tokenizer, prompt, stop);
  const deltas: string[] = [];
  for (let count = 1; count <= generated.length && textStream.stoppedBy === undefined; count++)
    deltas.push(textStream.push(generated.slice(0, count), count === generated.length));
  return { deltas, textStream };
}

/** What decoding prompt and output together shows after the prompt (the stream's definition of text). */
function expected(tokenizer: Tokenizer, prompt: number[], generated: number[]): string {
  const full = tokenizer.decode([...prompt, ...generated]);
  const promptText = tokenizer.decode(prompt);
  return full.startsWith(promptText) ? full.slice(promptText.length) : tokenizer.decode(generated);
}

describe.each([
  ['GPT-2 tokenizer.json', async () => loadTokenizerJson(join(sharedModels, 'gpt2-tokenizer'))],
  [
    'llama-spm GGUF vocabulary',
    () => vocabularyOf(join(sharedModels, 'llamacpp-vocab', 'ggml-vocab-llama-spm.gguf')),
  ],
  ['stories260K tok512.bin', async () => loadLlama2cTokenizer(stories.tokenizer512, 512)],
])('TextStream with the %s', (_name, load) => {
  it('joins its deltas to the text of decoding everything at once, split anywhere', async () => {
    const tokenizer = await load();
    const random = seededRandom(7);
    for (const text of texts) {
      const ids = tokenizer.encode(text, { addBos: false });
      if (ids.length < 2) continue;
      const split = 1 + Math.floor(random() * (ids.length - 1));
      const [prompt, generated] = [ids.slice(0, split), ids.slice(split)];
      const { deltas, textStream } = stream(tokenizer, prompt, generated);
      expect(deltas.join('')).toBe(expected(tokenizer, prompt, generated));
      expect(textStream.text).toBe(deltas.join(''));
    }
  });

  it('holds back a tail that may become a stop string, and cuts at the first stop', async () => {
    const tokenizer = await load();
    const ids = tokenizer.encode(texts.at(-1)!, { addBos: false });
    const [prompt, generated] = [ids.slice(0, 3), ids.slice(3)];
    const whole = expected(tokenizer, prompt, generated);
    for (const stop of [['The end'], ['!', 'end.'], ['🦙'], ['not in the text']]) {
      const { deltas, textStream } = stream(tokenizer, prompt, generated, stop);
      const cut = Math.min(...stop.map((text) => whole.indexOf(text)).filter((at) => at >= 0), whole.length);
      expect(textStream.text).toBe(whole.slice(0, cut));
      expect(deltas.join('')).toBe(whole.slice(0, cut));
      expect(textStream.stoppedBy !== undefined).toBe(cut < whole.length);
      // no delta ever ends with the start of a stop string that the text then completes
      let shown = '';
      for (const delta of deltas) {
        shown += delta;
        for (const text of stop) expect(shown).not.toContain(text);
      }
    }
  });

  it('keeps random ids (broken UTF-8 included) equal to decoding them at once', async () => {
    const tokenizer = await load();
    const random = seededRandom(11);
    const size = Math.min(tokenizer.vocabularySize, 50_000);
    for (let trial = 0; trial < 20; trial++) {
      const ids = Array.from({ length: 40 }, () => Math.floor(random() * size));
      const [prompt, generated] = [ids.slice(0, 5), ids.slice(5)];
      const { deltas } = stream(tokenizer, prompt, generated);
      expect(deltas.join('')).toBe(expected(tokenizer, prompt, generated));
    }
  });
});
