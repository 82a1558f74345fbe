// Data that trains or scores other than it reads is said before training: targets joined to their
// inputs without a space, and dev or test inputs the training split holds too.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { warnDataShape, type SoftData } from './soft-data.js';

const data = (path: string, pairs: [string, string][]): SoftData => ({
  path,
  examples: [],
  inputs: pairs.map(([input]) => input),
  targets: pairs.map(([, target]) => target),
  lines: pairs.map((_, index) => index + 1),
});

afterEach(() => vi.restoreAllMocks());

describe('warnDataShape', () => {
  it('says when most targets follow their inputs without a space, and which dev or test inputs train holds', () => {
    const said = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const train = data('train.jsonl', [
      ['She was happy. Mood:', 'happy'],
      ['He cried. Mood:', 'sad'],
      ['It ran. Mood: ', 'scared'],
    ]);
    warnDataShape(train, [
      data('dev.jsonl', [['Other.', ' x']]),
      data('test.jsonl', [['He cried. Mood:', 'sad']]),
    ]);
    expect(said.mock.calls.map(([line]) => String(line))).toEqual([
      'train.jsonl: 2 of 3 targets follow their inputs without a space ("happy. Mood:" + "happy" is read as "happy. Mood:happy"); a model writes a new word after a space, so start each target with one (" happy"), as the shared tasks do, or end each input with one\n',
      'test.jsonl: 1 of 1 inputs are training inputs too (train.jsonl): their accuracy counts examples the training saw\n',
    ]);
  });

  it('says nothing of targets that start with a space or punctuation, or of separate splits', () => {
    const said = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const train = data('train.jsonl', [
      ['Who? A:', ' Lily'],
      ['Answer:', '{"a": 1}'],
      ['Name:', ' Tom'],
    ]);
    warnDataShape(train, [data('test.jsonl', [['Other:', ' Ann']]), undefined]);
    // Chinese and Japanese write no space between words
    warnDataShape(
      data('train.jsonl', [
        ['这个故事的主角是', '小明'],
        ['答案：', '猫'],
      ]),
      [],
    );
    expect(said).not.toHaveBeenCalled();
  });
});
