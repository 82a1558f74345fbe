// The sensitivity audit's parts: formats keep placeholders and never repeat the original, demo orders
// are distinct permutations, noise never touches the target's words, paraphrases that change the
// placeholders are refused, the spread's intervals cover their values; and end to end through the
// harness with a scripted model that answers only under the original "A:" format (controlled behaviour
// is what is tested), the audit finds the spread and names the worst formats.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../../test/models.js';
import { rateLimitedOnce, ScriptedModel } from '../../test/scripted-model.js';
import { seededRandom } from '../engine/index.js';
import { ResponseCache } from '../eval/index.js';
import { loadSplit, loadTask, taskSpec, templateVariables } from '../tasks/index.js';
import { addNoise, noiseKinds, noisyFields } from './input-noise.js';
import { paraphraseVariants } from './paraphrases.js';
import { demoOrderVariants, formatVariants } from './prompt-variants.js';
import { sensitivityAudit } from './sensitivity-audit.js';
import { scoreSpread } from './spread-statistics.js';

const prompt = taskSpec.parse({
  name: 't',
  prompt: {
    template: 'Story: {{input}}\nQ: Who is it?\nA:',
    demos: [
      { input: 'a', target: ' A' },
      { input: 'b', target: ' B' },
      { input: 'c', target: ' C' },
    ],
  },
}).prompt;

describe('prompt variants', () => {
  it('samples distinct formats of the grammar that keep every placeholder', () => {
    const variants = formatVariants(prompt, { count: 40, seed: 1 });
    expect(variants).toHaveLength(40);
    const rendered = variants.map((variant) =>
      JSON.stringify([variant.prompt.template, variant.prompt.demoSeparator]),
    );
    expect(new Set(rendered).size).toBe(40);
    expect(rendered).not.toContain(JSON.stringify([prompt.template, prompt.demoSeparator]));
    for (const variant of variants) {
      expect(templateVariables(variant.prompt.template)).toEqual(['input']);
      expect(variant.name).not.toBe('');
    }
    expect(formatVariants(prompt, { count: 40, seed: 1 })).toEqual(variants); // seeded
    const lower = formatVariants(prompt, { count: 1000, seed: 0 }).find(
      (variant) => variant.name === 'descriptors lower case',
    );
    expect(lower?.prompt.template).toBe('story: {{input}}\nq: Who is it?\na:');
  });

  it('permutes demos without repeating an order', () => {
    const orders = demoOrderVariants(prompt, { count: 10, seed: 2 });
    expect(orders).toHaveLength(5); // 3! − the original
    expect(new Set(orders.map((order) => order.name)).size).toBe(5);
    expect(demoOrderVariants({ ...prompt, demos: prompt.demos.slice(0, 1) }, { count: 3, seed: 0 })).toEqual(
      [],
    );
  });

  it('keeps paraphrases that keep the placeholders, and counts the others refused', async () => {
    const answers = [
      'Tale: {{input}}\nWho is it?\nAnswer:',
      'Tale: {{story}}\nWho?',
      'Tale: {{input}}\nWho is it?\nAnswer:',
      'Text {{input}} → who?',
    ];
    const teacher = new ScriptedModel('teacher', () => answers.shift() ?? '');
    const { variants, refused } = await paraphraseVariants(prompt, teacher, { count: 2, seed: 0 });
    expect(variants.map((variant) => variant.prompt.template)).toEqual([
      'Tale: {{input}}\nWho is it?\nAnswer:',
      'Text {{input}} → who?',
    ]);
    expect(refused).toBe(1);
    expect(teacher.prompts[0]).toContain('Keep every {{placeholder}} exactly');
  });

  it('retries a rate-limited teacher', async () => {
    const teacher = rateLimitedOnce(
      new ScriptedModel('teacher', () => 'Tale: {{input}}\nWho is it?\nAnswer:'),
    );
    const { variants } = await paraphraseVariants(prompt, teacher, { count: 1, seed: 0 });
    expect(variants).toHaveLength(1);
  });

  it("keys cached paraphrases by the teacher's endpoint: a second server of one model name is asked", async () => {
    const cache = new ResponseCache(':memory:');
    const first = new ScriptedModel('teacher', () => 'Tale: {{input}}\nWho is it?\nAnswer:');
    const second = new ScriptedModel('teacher', () => 'Text {{input}} → who?');
    const paraphrase = (teacher: ScriptedModel, endpoint: string) =>
      paraphraseVariants(prompt, teacher, { count: 1, seed: 0, cache, endpoint });
    await paraphrase(first, 'http://one/v1');
    const { variants } = await paraphrase(second, 'http://two/v1');
    expect(variants.map((variant) => variant.prompt.template)).toEqual(['Text {{input}} → who?']);
    const again = await paraphrase(new ScriptedModel('teacher', () => ''), 'http://one/v1');
    expect(again.variants.map((variant) => variant.prompt.template)).toEqual([
      'Tale: {{input}}\nWho is it?\nAnswer:',
    ]);
  });
});

describe('input noise', () => {
  it('changes the text but never a word of the target', () => {
    const text = 'Lily did not want to go. It is late, she said, and Lily is tired of walking.';
    for (const kind of noiseKinds) {
      const noisy = noisyFields({ input: text, count: 3 }, ' Lily', kind, 5);
      expect(noisy.count).toBe(3);
      expect(noisy.input, kind).not.toBe(text);
      expect(String(noisy.input).match(/Lily/g), kind).toHaveLength(2);
    }
    expect(addNoise("I don't know", 'contractions', seededRandom(0), new Set())).toBe('I do not know');
    expect(addNoise('I do not know', 'contractions', seededRandom(0), new Set())).toBe("I don't know");
    expect(addNoise('Big Dog', 'lowercase', seededRandom(0), new Set(['dog']))).toBe('big Dog');
  });
});

describe('scoreSpread', () => {
  it('reports min, max, range and deviation of the variant means with intervals around them', () => {
    const random = seededRandom(3);
    const scores = [0.9, 0.5, 0.7].map((p) => Array.from({ length: 300 }, () => (random() < p ? 1 : 0)));
    const spread = scoreSpread(scores, { resamples: 500 });
    expect(spread.range.value).toBeCloseTo(spread.max.value - spread.min.value, 10);
    expect(spread.range.value).toBeGreaterThan(0.3);
    for (const estimate of Object.values(spread)) {
      expect(estimate.interval[0]).toBeLessThanOrEqual(estimate.value + 0.02);
      expect(estimate.interval[1]).toBeGreaterThanOrEqual(estimate.value - 0.02);
    }
    expect(scoreSpread([[1, 0, 1]]).range).toEqual({ value: 0, interval: [0, 0] });
  });
});

describe('sensitivityAudit', () => {
  it('refuses to audit a prompt with nothing to vary (one prompt has no spread)', async () => {
    const task = loadTask(join(repositoryRoot, 'examples', 'name.yaml'));
    const model = new ScriptedModel('any', () => ' Tom');
    await expect(
      sensitivityAudit({
        task,
        split: 'dev',
        examples: loadSplit(task, 'dev').slice(0, 4),
        model: { name: 'scripted', provider: 'scripted', modelId: 'any', model },
        formats: 0,
        noise: [],
        stateDirectory: mkdtempSync(join(tmpdir(), 'promptune-sensitivity-')),
      }),
    ).rejects.toMatchObject({ code: 'AUDIT_NOTHING_TO_VARY' });
  });

  it('finds the spread of a model that answers only under the original format', async () => {
    const task = loadTask(join(repositoryRoot, 'examples', 'name.yaml'));
    const examples = loadSplit(task, 'dev').slice(0, 40);
    // answers the story's first capitalized name after "Once", when the prompt ends in "\nA:" exactly
    const model = new ScriptedModel('format-bound', (text) => {
      if (!text.endsWith('\nA:')) return ' I do not know';
      return ` ${text.match(/(?:named|called) (\p{Lu}\p{Ll}+)/u)?.[1] ?? 'Nobody'}`;
    });
    const audit = await sensitivityAudit({
      task,
      split: 'dev',
      examples,
      model: { name: 'scripted', provider: 'scripted', modelId: 'format-bound', model },
      formats: 6,
      noise: ['typos', 'filler'],
      stateDirectory: mkdtempSync(join(tmpdir(), 'promptune-sensitivity-')),
      resamples: 300,
    });
    expect(audit.n).toBe(40);
    expect(audit.original.score).toBeGreaterThan(0.5);
    expect(audit.variants).toHaveLength(8);
    const formats = audit.variants.filter((variant) => variant.family === 'format');
    // formats that keep the "\nA:" ending score as the original; the others score 0
    for (const format of formats)
      expect(format.score).toBe(format.template!.endsWith('\nA:') ? audit.original.score : 0);
    expect(audit.variants[0].score).toBe(0); // worst first
    expect(audit.variants[0].drop).toBe(1);
    expect(audit.spread.range.value).toBeCloseTo(audit.original.score, 10);
    expect(audit.families.format?.count).toBe(6);
    // noise reaches the inputs (typos and fillers around "named" lose this model's reading) but not the format
    expect(audit.families.noise?.count).toBe(2);
    for (const noisy of audit.variants.filter((variant) => variant.family === 'noise'))
      expect(noisy.score).toBeLessThanOrEqual(audit.original.score);
    expect(audit.calls).toBe(40 * 9);
  });
});
