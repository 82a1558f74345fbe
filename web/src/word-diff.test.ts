// The word diff keeps what both texts share and marks only the words that changed.
import { describe, expect, it } from 'vitest';
import { isRewrite, wordDiff } from './word-diff';

const join = (parts: ReturnType<typeof wordDiff>, kinds: string[]) =>
  parts
    .filter((part) => kinds.includes(part.kind))
    .map((part) => part.text)
    .join('');

describe('wordDiff', () => {
  it('marks a replaced word and keeps the rest', () => {
    const parts = wordDiff('Answer with the name only.', 'Answer with the first name only.');
    expect(parts.filter((part) => part.kind !== 'same').map((part) => [part.kind, part.text.trim()])).toEqual(
      [['added', 'first']],
    );
  });

  it('rebuilds both texts from its parts', () => {
    const before = 'Classify the animal.\nInput: {{text}}\nAnswer:';
    const after = 'Name the animal in the story.\nStory: {{text}}\nAnimal:';
    const parts = wordDiff(before, after);
    expect(join(parts, ['same', 'removed'])).toBe(before);
    expect(join(parts, ['same', 'added'])).toBe(after);
    expect(parts.some((part) => part.kind === 'same' && part.text.includes('animal'))).toBe(true);
  });

  it('reads changes separated only by spaces as one replacement', () => {
    expect(wordDiff('a b c', 'x y c')).toEqual([
      { kind: 'removed', text: 'a b' },
      { kind: 'added', text: 'x y' },
      { kind: 'same', text: ' c' },
    ]);
  });

  it('replaces a number whole, not digit by digit after its point', () => {
    expect(wordDiff('"devExactMatch":0.8359375,', '"devExactMatch":0.9921875,')).toEqual([
      { kind: 'same', text: '"devExactMatch":' },
      { kind: 'removed', text: '0.8359375' },
      { kind: 'added', text: '0.9921875' },
      { kind: 'same', text: ',' },
    ]);
    expect(wordDiff('"lr":0.3,', '"lr":0.001,').filter((part) => part.kind !== 'same')).toEqual([
      { kind: 'removed', text: '0.3' },
      { kind: 'added', text: '0.001' },
    ]);
    // words with digits in them stay words
    expect(wordDiff('q_proj v2', 'q_proj v3').filter((part) => part.kind === 'removed')).toEqual([
      { kind: 'removed', text: 'v2' },
    ]);
  });

  it('diffs Chinese by character, and keeps accents and emoji sequences whole', () => {
    expect(wordDiff('我今天很高兴', '我今天很开心')).toEqual([
      { kind: 'same', text: '我今天很' },
      { kind: 'removed', text: '高兴' },
      { kind: 'added', text: '开心' },
    ]);
    const changed = (before: string, after: string) =>
      wordDiff(before, after)
        .filter((part) => part.kind !== 'same')
        .map((part) => part.text);
    expect(changed('Zoe\u0301 went', 'Zoe\u0308 went')).toEqual(['Zoe\u0301', 'Zoe\u0308']);
    expect(changed('a 👨‍👩‍👧 b', 'a 👨‍👩‍👦 b')).toEqual(['👨‍👩‍👧', '👨‍👩‍👦']);
    expect(changed('ok 👍🏽', 'ok 👍🏿')).toEqual(['👍🏽', '👍🏿']);
    expect(changed('🇯🇵🇫🇷', '🇯🇵🇩🇪')).toEqual(['🇫🇷', '🇩🇪']);
  });

  it('handles empty sides', () => {
    expect(wordDiff('', 'new text')).toEqual([{ kind: 'added', text: 'new text' }]);
    expect(wordDiff('old', '')).toEqual([{ kind: 'removed', text: 'old' }]);
    expect(wordDiff('', '')).toEqual([]);
  });

  it('falls back to lines for texts too long for the word table', () => {
    const line = (index: number) => `line ${index} ${'word '.repeat(20)}\n`;
    const before = Array.from({ length: 200 }, (_, index) => line(index)).join('');
    const after = before.replace(line(100), 'a changed line\n');
    const parts = wordDiff(before, after);
    expect(parts.filter((part) => part.kind !== 'same')).toEqual([
      { kind: 'removed', text: line(100) },
      { kind: 'added', text: 'a changed line\n' },
    ]);
  });
});

describe('isRewrite', () => {
  it('tells a text rewritten from one edited, or grown around what it had', () => {
    const methods = wordDiff(
      'prompt tuning: learned vectors placed before the input',
      'LoRA: low-rank adapters on the frozen model’s projections',
    );
    expect(isRewrite(methods)).toBe(true);
    expect(isRewrite(wordDiff('Which animal is this story about?', 'Which animal is the story about?'))).toBe(
      false,
    );
    // a question asked another way keeps enough of it to be read as an edit
    const asked = wordDiff(
      '{{input}}\nQ: What is the name of the main character?\nA:',
      '{{input}}\nQ: Who is the story about? Give the name.\nA:',
    );
    expect(isRewrite(asked)).toBe(false);
    // a seed prompt given demos keeps every word it had
    const grown = wordDiff(
      'Name the main character.',
      'Story: Tim had a dog. Answer: Tim\nStory: Lily ran. Answer: Lily\nName the main character.',
    );
    expect(isRewrite(grown)).toBe(false);
    expect(isRewrite(wordDiff('', 'added from nothing'))).toBe(false);
  });
});
