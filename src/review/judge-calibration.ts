// How far an LLM judge (an online evaluator's score on traces) agrees with the reviewers. Each reviewed
// item's human verdict is its decisions' majority, approve meaning good and correct or reject meaning
// bad (ties and skips give none); the judge's is its score on the same trace (a boolean, or a number at
// or above a threshold). Reported: Cohen's kappa between the two with its bootstrap interval, raw
// agreement, the confusion counts, and a verdict: trusted when the interval's low end reaches 0.6
// ("substantial", Landis and Koch 1977), not trusted when its high end stays below 0.4.
import { nearestName, NotFoundError } from '../errors/index.js';
import type { Registry, ReviewDecision, ReviewItem } from '../registry/index.js';
import { cohenKappa, type AgreementEstimate } from './agreement.js';

/** The judge's agreement with the reviewers on one queue. */
export interface JudgeCalibration {
  score: string;
  /** Items with both a human verdict and the judge's score. */
  items: number;
  kappa: AgreementEstimate;
  /** Share of those items where judge and humans agree. */
  agreement: number | null;
  confusion: { bothGood: number; bothBad: number; judgeGoodHumansBad: number; judgeBadHumansGood: number };
  verdict: 'trusted' | 'not-trusted' | 'uncertain';
}

/**
 * The human verdict of each fully reviewed item with a majority: true when approved, false when corrected
 * or rejected.
 */
export function humanVerdicts(items: ReviewItem[], decisions: ReviewDecision[]): Map<string, boolean> {
  const votes = new Map<string, { good: number; bad: number }>();
  for (const decision of decisions) {
    if (decision.decision === 'skip') continue;
    const vote =
      votes.get(decision.item) ?? votes.set(decision.item, { good: 0, bad: 0 }).get(decision.item)!;
    if (decision.decision === 'approve') vote.good++;
    else vote.bad++;
  }
  const verdicts = new Map<string, boolean>();
  for (const item of items) {
    const vote = votes.get(item.id);
    const reviewed = vote !== undefined && vote.good + vote.bad >= item.reviewsNeeded;
    if (reviewed && vote.good !== vote.bad && item.traceId !== null)
      verdicts.set(item.traceId, vote.good > vote.bad);
  }
  return verdicts;
}

/** The judge score `score`'s agreement with the reviewers of `queue` (numeric: good at >= threshold). */
export async function judgeCalibration(
  registry: Registry,
  queueName: string,
  options: { score: string; threshold?: number; seed?: number },
): Promise<JudgeCalibration> {
  const queue = await registry.review.getQueue(queueName);
  const verdicts = humanVerdicts(
    await registry.review.items(queue.name),
    await registry.review.decisions(queue.name),
  );
  const scores = await registry.scores.list({ task: queue.task, name: options.score });
  if (scores.length === 0) {
    // a misspelt or absent score would read as "uncertain": say there is none, and what there is
    const names = [
      ...new Set((await registry.scores.list({ task: queue.task, limit: 5000 })).map((each) => each.name)),
    ];
    const meant = nearestName(options.score, names);
    throw new NotFoundError(`task ${queue.task}'s traces have no score named ${options.score}`, {
      code: 'REVIEW_NO_SCORE',
      hint: names.length
        ? `${meant ? `Did you mean ${meant}? ` : ''}Its traces are scored as: ${names.slice(0, 20).join(', ')}.`
        : 'Nothing has scored its traces yet: run the judge (or send feedback) first.',
    });
  }
  const judged = new Map<string, boolean>();
  for (const score of scores) {
    if (!verdicts.has(score.traceId) || score.value === null || judged.has(score.traceId)) continue;
    judged.set(
      score.traceId,
      score.kind === 'boolean' ? score.value === 1 : score.value >= (options.threshold ?? 0.5),
    );
  }
  const pairs: [string, string][] = [];
  const confusion = { bothGood: 0, bothBad: 0, judgeGoodHumansBad: 0, judgeBadHumansGood: 0 };
  for (const [trace, judge] of judged) {
    const human = verdicts.get(trace)!;
    pairs.push([String(human), String(judge)]);
    if (judge && human) confusion.bothGood++;
    else if (!judge && !human) confusion.bothBad++;
    else if (judge) confusion.judgeGoodHumansBad++;
    else confusion.judgeBadHumansGood++;
  }
  const kappa = cohenKappa(pairs, options.seed ?? 0);
  const interval = kappa.interval;
  return {
    score: options.score,
    items: pairs.length,
    kappa,
    agreement: pairs.length === 0 ? null : (confusion.bothGood + confusion.bothBad) / pairs.length,
    confusion,
    verdict:
      interval === null
        ? 'uncertain'
        : interval[0] >= 0.6
          ? 'trusted'
          : interval[1] < 0.4
            ? 'not-trusted'
            : 'uncertain',
  };
}
