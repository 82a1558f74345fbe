// Paired comparison of two evaluation reports on the same examples: which examples flipped, the
// mean difference with its bootstrap interval, and whether it is significant (McNemar's exact test
// when both runs scored right or wrong, else the paired bootstrap's).
import { ValidationError } from '../errors/index.js';
import { pairedTest } from './statistics.js';

/** What a comparison reads of a report (an EvaluationReport, or one read back from its JSON file). */
export interface ComparedReport {
  model: string;
  score: number;
  examples: { id: string; line: number; score: number }[];
  /** Named in the refusal of two runs with nothing in common. */
  task?: string;
  split?: string;
}

/** How run `b` differs from run `a`. */
export interface Comparison {
  a: { model: string; score: number };
  b: { model: string; score: number };
  n: number;
  difference: number;
  interval: [number, number];
  pValue: number;
  /** The test behind the p-value: McNemar's exact test for scores of 0 or 1, else the paired bootstrap. */
  test: 'mcnemar-exact' | 'paired-bootstrap';
  significant: boolean;
  /** Examples right in one run and wrong in the other (scores crossing 0.5). */
  improved: { id: string; line: number }[];
  regressed: { id: string; line: number }[];
}

/** Compares `b` to `a` on the examples both evaluated (matched by content id). */
export function compareReports(a: ComparedReport, b: ComparedReport, level = 0.95): Comparison {
  const byId = new Map(b.examples.map((example) => [example.id, example]));
  const pairs = a.examples.flatMap((example) =>
    byId.has(example.id) ? [[example, byId.get(example.id)!] as const] : [],
  );
  if (pairs.length === 0) {
    const what = (report: ComparedReport) =>
      [report.task && `task ${report.task}`, report.split && `split ${report.split}`]
        .filter(Boolean)
        .join(', ');
    const described =
      what(a) || what(b) ? ` (the first: ${what(a) || '?'}; the second: ${what(b) || '?'})` : '';
    throw new ValidationError(`the two runs share no examples${described}`, {
      code: 'COMPARE_NO_OVERLAP',
      hint: 'Compare runs of the same task and split.',
    });
  }
  const test = pairedTest(
    pairs.map(([x]) => x.score),
    pairs.map(([, y]) => y.score),
    { level },
  );
  const flip = (from: number, to: number) => from < 0.5 && to >= 0.5;
  return {
    a: { model: a.model, score: a.score },
    b: { model: b.model, score: b.score },
    n: pairs.length,
    difference: test.difference,
    interval: test.interval,
    pValue: test.pValue,
    test: test.test,
    significant: test.pValue < 1 - level,
    improved: pairs.filter(([x, y]) => flip(x.score, y.score)).map(([, y]) => ({ id: y.id, line: y.line })),
    regressed: pairs.filter(([x, y]) => flip(y.score, x.score)).map(([, y]) => ({ id: y.id, line: y.line })),
  };
}
