// The variability audit through the harness with a model whose answers depend on the call's seed
// (controlled behaviour is what is tested): every input is answered right on 3 of 5 seeds and wrong
// differently on the other two, so agreement, distinct answers, pass^k and pass@k have exact values.
import type { LanguageModelV3, LanguageModelV3CallOptions } from '@ai-sdk/provider';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../../test/models.js';
import { loadSplit, loadTask } from '../tasks/index.js';
import { variabilityAudit } from './variability-audit.js';

const task = loadTask(join(repositoryRoot, 'examples', 'animal.yaml'));
const examples = loadSplit(task, 'dev').slice(0, 20);

/** Right when (seed + the input's length) mod 5 < 3, else a wrong answer made of the seed (" 1111"). */
class SeededModel implements LanguageModelV3 {
  readonly specificationVersion = 'v3' as const;
  readonly provider = 'scripted';
  readonly modelId = 'seeded';
  readonly supportedUrls = {};
  temperatures = new Set<number | undefined>();

  async doGenerate(options: LanguageModelV3CallOptions) {
    this.temperatures.add(options.temperature);
    const [message] = options.prompt;
    const text = message.role === 'user' && message.content[0].type === 'text' ? message.content[0].text : '';
    // the template is "{{input}}\nQ: What animal is this story about?\nA: The"
    const example = examples.find(
      (each) => text === `${String(each.fields.input)}\nQ: What animal is this story about?\nA: The`,
    )!;
    const right = ((options.seed ?? 0) + String(example.fields.input).length) % 5 < 3;
    return {
      content: [
        {
          type: 'text' as const,
          text: right ? String(example.target) : ` ${String(options.seed).repeat(4)}`,
        },
      ],
      finishReason: { unified: 'stop' as const, raw: 'stop' },
      usage: {
        inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: 1, text: 1, reasoning: 0 },
      },
      warnings: [],
    };
  }

  doStream(): never {
    throw new Error('not streamed');
  }
}

describe('variabilityAudit', () => {
  it('measures agreement, distinct answers, pass^k and pass@k', async () => {
    const model = new SeededModel();
    const audit = await variabilityAudit({
      task,
      split: 'dev',
      examples,
      model: { name: 'seeded', provider: 'scripted', modelId: 'seeded', model },
      repeats: 5,
      temperature: 0.7,
      stateDirectory: mkdtempSync(join(tmpdir(), 'promptune-variability-')),
      resamples: 200,
    });
    expect([...model.temperatures]).toEqual([0.7]);
    expect(audit).toMatchObject({ n: 20, repeats: 5, temperature: 0.7, calls: 100 });
    expect(audit.score.value).toBeCloseTo(0.6, 10);
    expect(audit.agreement.value).toBeCloseTo(0.3, 10); // 3 of the 10 pairs agree
    expect(audit.modalAgreement.value).toBeCloseTo(0.6, 10);
    expect(audit.distinctAnswers).toEqual({ 3: 20 });
    const expected = [
      [0.6, 0.6],
      [0.3, 0.9],
      [0.1, 1],
      [0, 1],
      [0, 1],
    ];
    audit.passK.forEach(({ k, passAll, passAny }, index) => {
      expect(k).toBe(index + 1);
      expect(passAll.value).toBeCloseTo(expected[index][0], 10);
      expect(passAny.value).toBeCloseTo(expected[index][1], 10);
    });
    // pass^4 and pass^5 are 0 on all 20 examples: Wilson's interval [0, 0.161], where resampling says [0, 0]
    expect(audit.passK[4].passAll.interval[0]).toBe(0);
    expect(audit.passK[4].passAll.interval[1]).toBeCloseTo(0.161, 3);
    expect(audit.passK[4].passAny.interval).toEqual([expect.closeTo(0.839, 3), 1]);
    const least = examples.find((e) => e.line === audit.leastStable[0].line)!;
    expect(audit.leastStable[0].answers[0]).toEqual({ answer: String(least.target).trim(), count: 3 });
    // the input and target it was asked, to read the answers against
    expect(audit.leastStable[0]).toMatchObject({
      input: Object.values(least.fields).map(String).join(' | '),
      target: least.target,
    });
  });

  it('takes an AI SDK model as evaluate does, named by its provider and id', async () => {
    const model = new SeededModel();
    const audit = await variabilityAudit({
      task,
      split: 'dev',
      examples: examples.slice(0, 4),
      model, // no { name, provider, modelId } around it
      repeats: 2,
      temperature: 0.7,
      stateDirectory: mkdtempSync(join(tmpdir(), 'promptune-variability-bare-')),
      resamples: 50,
    });
    expect(audit).toMatchObject({ model: 'scripted:seeded', n: 4, repeats: 2, calls: 8 });
  });
});
