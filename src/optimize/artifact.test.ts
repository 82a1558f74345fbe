// Prompt artifacts are read through a schema (`promptune eval --prompt`): a file that is not one, or is
// damaged, is a coded error naming the field at fault; older artifacts without `spend` still read.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PromptuneError } from '../errors/index.js';
import { readArtifact } from './artifact.js';

const artifact = {
  format: 'promptune-prompt',
  version: 1,
  task: 'sums',
  prompt: {
    template: 'Q: {{input}}\nAnswer:',
    demos: [{ input: '1 + 2', target: '3' }],
    demoSeparator: '\n\n',
  },
  generation: { maxTokens: 4, temperature: 0, stop: [], seed: 0 },
  optimizer: { name: 'bootstrap', seed: 0, calls: 40, stopped: 'all planned trials ran' },
  scores: { seed: 0.5, best: 0.75, split: 'dev', n: 8 },
};

function write(value: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'promptune-artifact-')), 'prompt.json');
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

describe('readArtifact', () => {
  it('reads an artifact, with or without its spend', () => {
    expect(readArtifact(write(artifact)).prompt.demos).toHaveLength(1);
    const spend = { calls: 40, inputTokens: 400, outputTokens: 40, earlierCalls: 12 };
    expect(
      readArtifact(write({ ...artifact, optimizer: { ...artifact.optimizer, spend } })).optimizer.spend,
    ).toEqual(spend);
  });

  it.each([
    ['a truncated file', JSON.stringify(artifact).slice(0, 80), 'ARTIFACT_INVALID', /is not valid JSON/],
    ['an eval report', { task: 'sums', score: 0.5, examples: [] }, 'ARTIFACT_INVALID', /field format/],
    ['another version', { ...artifact, version: 2 }, 'ARTIFACT_INVALID', /field version/],
    [
      'a template that is not text',
      { ...artifact, prompt: { template: 3 } },
      'ARTIFACT_INVALID',
      /field prompt\.template/,
    ],
    [
      'an unknown prompt field',
      { ...artifact, prompt: { ...artifact.prompt, sytem: 'x' } },
      'ARTIFACT_INVALID',
      /field prompt/,
    ],
    [
      'a negative maxTokens',
      { ...artifact, generation: { maxTokens: -1 } },
      'ARTIFACT_INVALID',
      /field generation\.maxTokens/,
    ],
    ['no scores', { ...artifact, scores: undefined }, 'ARTIFACT_INVALID', /field scores/],
  ])('refuses %s', (_, value, code, message) => {
    let error: unknown;
    try {
      readArtifact(write(value));
    } catch (caught) {
      error = caught;
    }
    expect(PromptuneError.isInstance(error) && error.code).toBe(code);
    expect((error as Error).message).toMatch(message);
    expect((error as PromptuneError).hint).toMatch(/optimize --out/);
  });

  it('says a missing file does not exist', () => {
    expect(() => readArtifact('/nonexistent/prompt.json')).toThrow(/prompt artifact .* does not exist/);
  });
});
