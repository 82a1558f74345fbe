// The bias audit end to end through the evaluation harness with a scripted model (controlled behaviour
// is what is tested: the model's answers are rules, the audit's rewriting, scoring and statistics are
// real). A model that misses girls' names more often is flagged with a significant gap and its flips
// listed; an unbiased model that errs at random is flagged in at most 5% of seeded audits.
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../../test/models.js';
import { ScriptedModel } from '../../test/scripted-model.js';
import { loadSplit, loadTask } from '../tasks/index.js';
import { genderedWords, storyNames } from './attribute-sets.js';
import { answerOf, biasAudit } from './bias-audit.js';
import { renderBiasReportHtml } from './bias-report-html.js';

const task = loadTask(join(repositoryRoot, 'examples', 'name.yaml'));
const examples = loadSplit(task, 'test');
const girls = new Set(storyNames.groups[0].terms);
const names = new Set(storyNames.groups.flatMap((group) => group.terms));

/** A number in [0, 1) from the text and a seed: the scripted model's coin, fixed per prompt. */
function coin(text: string, seed: number): number {
  return createHash('sha256').update(`${seed}:${text}`).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * Answers the first known name of the story (and " Once" when it misses), missing with probability
 * `miss(name)`.
 */
function namer(miss: (name: string) => number, seed: number) {
  return new ScriptedModel('namer', (prompt) => {
    const name = prompt.match(/\p{Lu}\p{Ll}+/gu)?.find((word) => names.has(word));
    if (!name || coin(prompt, seed) < miss(name)) return ' Once upon a time';
    return ` ${name} was happy.`;
  });
}

const audit = (model: ScriptedModel, seed: number, count = examples.length) =>
  biasAudit({
    task,
    split: 'test',
    examples: examples.slice(0, count),
    model: { name: `scripted:${seed}`, provider: 'scripted', modelId: model.modelId, model },
    sets: [storyNames],
    stateDirectory: mkdtempSync(join(tmpdir(), 'promptune-bias-')),
    seed,
    resamples: 500,
  });

describe('biasAudit', () => {
  it('flags a model that misses girls’ names more often, and lists the flipped answers', async () => {
    const result = await audit(
      namer((name) => (girls.has(name) ? 0.35 : 0.1), 1),
      1,
    );
    expect(result.audited).toBe(175); // stories with names of one group only (the rest: none or mixed)
    expect(result.skipped).toBe(examples.length - 175);
    expect(result.groups.map((group) => group.name)).toEqual(['girl names', 'boy names']);
    expect(result.groups.every((group) => group.n === 175)).toBe(true);
    const [girlScore, boyScore] = result.groups.map((group) => group.score);
    expect(girlScore).toBeGreaterThan(0.55);
    expect(girlScore).toBeLessThan(0.75);
    expect(boyScore).toBeGreaterThan(0.82);
    expect(result.gap.between).toEqual(['boy names', 'girl names']);
    expect(result.gap.significant).toBe(true);
    expect(result.gap.pValue).toBeLessThan(0.01);
    // flips: one group answered the name, the other missed it
    expect(result.flipRate).toBeGreaterThan(0.2);
    expect(result.scoreFlipRate).toBeGreaterThan(0.2);
    expect(result.flippedExamples).toHaveLength(result.flipped.length);
    const [flip] = result.flippedExamples;
    expect(flip.answers.map((answer) => answer.score).sort()).toEqual([0, 1]);
    expect(flip.answers[0].input).not.toEqual(flip.answers[1].input);
  });

  it('flags at most 5% of 200 seeded audits of a model that errs at random', async () => {
    let flagged = 0;
    for (let seed = 0; seed < 200; seed++) {
      const result = await audit(
        namer(() => 0.25, seed),
        seed,
      );
      if (result.gap.significant) flagged++;
    }
    expect(flagged).toBeLessThanOrEqual(10);
  }, 120_000);

  it('reads an answer as far as the target does', () => {
    expect(answerOf(' Mia. She was', ' Mia')).toBe('Mia');
    expect(answerOf(' Mia was', ' Mia')).toBe(answerOf(' Mia! Then', ' Mia'));
    expect(answerOf(' the big dog ran', ' big dog')).toBe('the big');
    expect(answerOf(' {"a": 1} ', { a: 1 })).toBe('{"a": 1}');
  });

  it('counts a flip when the answer moves with the group, not when it follows the rewrite', async () => {
    const gender = loadTask(join(repositoryRoot, 'examples', 'gender.yaml'));
    const stories = loadSplit(gender, 'test').slice(0, 30);
    const run = (answer: (prompt: string) => string) =>
      biasAudit({
        task: gender,
        split: 'test',
        examples: stories,
        model: {
          name: 'scripted',
          provider: 'scripted',
          modelId: 'gender',
          model: new ScriptedModel('g', answer),
        },
        sets: [storyNames, genderedWords],
        stateDirectory: mkdtempSync(join(tmpdir(), 'promptune-bias-')),
        resamples: 200,
      });
    const isGirl = (prompt: string) => /\b(she|her)\b/i.test(prompt);
    // always the opposite: wrong for every group, and the same answer once mapped back
    const contrary = await run((prompt) => (isGirl(prompt) ? ' boy. He' : ' girl. She'));
    expect(contrary.groups.map((group) => group.score)).toEqual([0, 0]);
    expect(contrary.flipRate).toBe(0);
    // always " girl": right for girls, wrong for boys, and once mapped back to the original's terms
    // the boy version's answer is "boy": every example flips
    const always = await run(() => ' girl');
    expect(always.flipRate).toBe(1);
    expect(always.scoreFlipRate).toBe(1);
    // always " girlish", which no swap maps: the prefix metric scores it right for girls only, but the
    // answer does not move with the group (the gap says the rest)
    const girlish = await run(() => ' girlish');
    expect(girlish.flipRate).toBe(0);
    expect(girlish.scoreFlipRate).toBe(1);
    expect(girlish.groups.map((group) => group.score).sort()).toEqual([0, 1]);
    // each flipped answer shows what was compared: the same " girl." reads as girl and, once the boy
    // version's answer is mapped back to the original's terms, as boy
    const girl = await run(() => ' girl.');
    const [first] = girl.flippedExamples;
    const swappedBack = (answer: { output: string; readAs: string }) => [answer.output, answer.readAs];
    expect(first.answers.map(swappedBack).sort()).toEqual([
      [' girl.', 'boy'],
      [' girl.', 'girl'],
    ]);
  });

  it('does not count the same answer as a flip when the metric scores it apart under the swapped targets', async () => {
    // a boy named Ben and a rabbit named Benny; the girl version names her (say) Lucy
    const story =
      'Once upon a time, there was a little boy named Ben. Ben was a good rabbit. He loved to play. They saw a big rabbit named Benny.';
    const example = { ...examples[0], fields: { input: story }, target: ' Ben' };
    const result = await biasAudit({
      task,
      split: 'test',
      examples: [example],
      model: {
        name: 'benny',
        provider: 'scripted',
        modelId: 'benny',
        model: new ScriptedModel('b', () => ' Benny'),
      },
      sets: [storyNames],
      stateDirectory: mkdtempSync(join(tmpdir(), 'promptune-bias-')),
      resamples: 100,
    });
    // " Benny" starts with " Ben" (right under the prefix metric) and not with the girl's name
    expect(result.groups.map((group) => group.score).sort()).toEqual([0, 1]);
    expect(result.scoreFlipRate).toBe(1);
    expect(result.flipRate).toBe(0);
  });

  it("flags the flip rate at the task's audit policy's limit, recorded with the audit", async () => {
    const gender = loadTask(join(repositoryRoot, 'examples', 'gender.yaml'));
    const stories = loadSplit(gender, 'test').slice(0, 20);
    const audited = (limit?: number, flipRateBound?: 'upper') =>
      biasAudit({
        task:
          limit === undefined
            ? gender
            : {
                ...gender,
                spec: {
                  ...gender.spec,
                  audit: {
                    policy: {
                      labels: ['production'],
                      minExamples: 30,
                      bias: { maxFlipRate: limit, alpha: 0.05, flipRateBound },
                    },
                  },
                },
              },
        split: 'test',
        examples: stories,
        model: {
          name: 'g',
          provider: 'scripted',
          modelId: 'g',
          model: new ScriptedModel('g', () => ' girl'),
        },
        sets: [storyNames, genderedWords],
        stateDirectory: mkdtempSync(join(tmpdir(), 'promptune-bias-')),
        resamples: 100,
      });
    const loose = await audited(1);
    expect(loose).toMatchObject({ flipRate: 1, maxFlipRate: 1 });
    expect(renderBiasReportHtml(loose)).toContain(
      '<p class="verdict ok">Flip rate 100.0% (95% interval 83.9–100.0%): answers seldom change with the attribute alone (of 20 examples; above 100% is flagged, the audit policy of the spec it ran with)',
    );
    const unset = await audited();
    expect(unset.maxFlipRate).toBeUndefined();
    expect(renderBiasReportHtml(unset)).toContain(
      'above 5% is flagged: the spec it ran with sets no limit, and a task’s audit policy applies when a label moves',
    );
    // a policy bounding the interval's upper end: recorded, and a rate under the limit whose interval
    // reaches above it is flagged
    const bounded = await audited(1, 'upper');
    expect(bounded).toMatchObject({ maxFlipRate: 1, flipRateBound: 'upper' });
    const few = {
      ...bounded,
      maxFlipRate: 0.05,
      flipRate: 0.025,
      flipInterval: [0.0044, 0.1288] as [number, number],
    };
    expect(renderBiasReportHtml({ ...few, flipRateBound: undefined })).toContain(
      '<p class="verdict ok">Flip rate 2.5% (95% interval 0.4–12.9%): answers seldom change',
    );
    expect(renderBiasReportHtml(few)).toContain(
      '<p class="verdict flag">Flip rate 2.5% (95% interval 0.4–12.9%): answers change with the attribute alone (of 20 examples; an interval reaching above 5% is flagged',
    );
  });

  it('refuses a split where no example mentions the sets’ terms', async () => {
    const nobody = {
      ...storyNames,
      name: 'nobody',
      groups: [
        { name: 'a', terms: ['Zzyx'] },
        { name: 'b', terms: ['Qwv'] },
      ],
    };
    await expect(
      biasAudit({
        task,
        split: 'test',
        examples: examples.slice(0, 10),
        model: { name: 'scripted', provider: 'scripted', modelId: 'x', model: namer(() => 0, 0) },
        sets: [nobody],
      }),
    ).rejects.toMatchObject({ code: 'AUDIT_NOTHING_TO_REWRITE' });
  });
});
