// Repeatable options read from the raw arguments (citty keeps only the last value of a repeated one).
import { describe, expect, it } from 'vitest';
import { callOptions } from './call-options.js';
import { meantOption, repeatedOption } from './options.js';

describe('repeatedOption', () => {
  it('collects every value in order, in both spellings, and stops at --', () => {
    const raw = [
      '--set',
      'a',
      '--limit',
      '3',
      '--set=b,c',
      '--settle',
      'x',
      '--set',
      'd',
      '--',
      '--set',
      'e',
    ];
    expect(repeatedOption(raw, 'set')).toEqual(['a', 'b,c', 'd']);
    expect(repeatedOption(['--set'], 'set')).toEqual([]);
    expect(repeatedOption([], 'stop')).toEqual([]);
  });
});

describe('meantOption', () => {
  const methods = ['prompt-tuning', 'p-tuning', 'multitask-prompt-tuning', 'prefix-tuning', 'lora'];
  it('finds another spelling, the first word of one option, or a near typo', () => {
    expect(meantOption('LoRA', methods)).toBe('lora');
    expect(meantOption('prefix_tuning', methods)).toBe('prefix-tuning');
    expect(meantOption('prefix', methods)).toBe('prefix-tuning');
    expect(meantOption('multitask', methods)).toBe('multitask-prompt-tuning');
    expect(meantOption('lroa', methods)).toBe('lora');
    // "p" is the first word of p-tuning alone (prompt-tuning's is "prompt")
    expect(meantOption('p', methods)).toBe('p-tuning');
    // a first word of two options says neither
    expect(meantOption('p', ['p-tuning', 'p-value'])).toBeUndefined();
  });
});

describe('callOptions', () => {
  it('gives --timeout in whole milliseconds a timer can wait, and refuses longer', () => {
    // 1.005 s is 1004.999… ms in floating point: AbortSignal.timeout refuses that
    expect(callOptions({ concurrency: '2', timeout: '1.005' })).toEqual({ concurrency: 2, timeoutMs: 1005 });
    expect(callOptions({ concurrency: '4', timeout: '0.0001' }).timeoutMs).toBe(1);
    expect(() => callOptions({ concurrency: '4', timeout: '3000000' })).toThrow(
      expect.objectContaining({ code: 'CLI_INVALID_OPTION' }),
    );
  });
});
