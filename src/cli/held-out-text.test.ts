// --held-out's files: a .txt file's passages between blank lines, a .jsonl file's text fields, each
// refused with HELD_OUT_INVALID when it holds no text or a line that is not one.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { heldOutExamples, readHeldOutText } from './held-out-text.js';

const folder = mkdtempSync(join(tmpdir(), 'promptune-held-out-'));
const file = (name: string, text: string | Buffer) => {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
};

describe('held-out text', () => {
  it("reads a .txt file's passages and a .jsonl file's text fields", () => {
    const text = readHeldOutText(file('a.txt', '\uFEFFOnce upon a time.\r\n\r\nThe end.\n\n\n'));
    expect(text.passages).toEqual(['Once upon a time.', 'The end.']);
    expect(text.name).toBe('a.txt');
    expect(text.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(readHeldOutText(file('b.jsonl', '{"text": "One."}\n\n{"text": " Two. "}\n')).passages).toEqual([
      'One.',
      'Two.',
    ]);
  });

  it.each([
    ['empty.txt', '\n\n', /holds no text/],
    ['bad.jsonl', '{"text": "One."}\nnot json\n', /line 2 is not JSON/],
    ['field.jsonl', '{"story": "One."}\n', /line 1 has no "text" string/],
    ['missing.txt', undefined, /cannot be read \(ENOENT\)/],
    // a model file given by mistake: bytes that are not UTF-8, or text with NULs
    ['model.gguf', Buffer.from([0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0, 0xff, 0xfe, 0x80]), /is not text/],
    ['nul.txt', 'Once\u0000upon', /is not text/],
  ])('refuses %s', (name, text, message) => {
    const path = text === undefined ? join(folder, name) : file(name, text);
    expect(() => readHeldOutText(path)).toThrow(message);
    try {
      readHeldOutText(path);
    } catch (error) {
      expect(error).toMatchObject({ code: 'HELD_OUT_INVALID' });
    }
  });

  it('cuts each passage to the context beside the prompt, and gives BOS and its first token', () => {
    const tokenizer = { encode: (text: string) => [1, ...text.split(' ').map((word) => word.length + 2)] };
    const text = { name: 'x', sha256: '', passages: ['a bb ccc dddd eeeee', 'a'] };
    expect(heldOutExamples(text, tokenizer as never, 8, 4)).toEqual([
      { inputIds: [1, 3], targetIds: [4, 5] },
    ]);
  });
});
