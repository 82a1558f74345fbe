// Which differences of a method comparison are real (compare-methods' standing, kept in its run's
// summary): at the largest training set, each row's test accuracy with its 95% interval as bars, and its
// difference from the best on the same test examples, with a Holm-adjusted p-value, as a table.
import { IntervalBars } from './interval-bars';

/** A task's standing as comparison-significance.ts records it. */
export interface Standing {
  trainExamples: number;
  testExamples: number;
  measure: string;
  methods: {
    name: string;
    accuracy: number;
    interval: [number, number];
    difference?: { value: number; interval: [number, number]; pValue: number; clearlyWorse: boolean };
  }[];
  unpaired: string[];
  /** Rows measured on another test split (absent in summaries written before it was kept). */
  otherSplit?: string[];
  /**
   * The cheapest to serve of the best and the rows not clearly below it (absent in summaries written
   * before it was kept).
   */
  pick?: string;
}

const FROZEN = 'no tuning (the frozen model)';

/** The rows of a standing not clearly below its best (they may be as good), by name. */
export const notClearlyBelow = (standing: Pick<Standing, 'methods'>): string[] =>
  standing.methods.filter((item) => item.difference?.clearlyWorse === false).map((item) => item.name);

const signed = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(3)}`;

/** How far the pick is behind the best, when it is not the best: " (−0.083 [−0.417, +0.250] from the best)". */
function pickGap(standing: Standing): string {
  const difference = standing.methods.find((item) => item.name === standing.pick)?.difference;
  return difference
    ? ` (${signed(difference.value)} [${signed(difference.interval[0])}, ${signed(difference.interval[1])}] from the best)`
    : '';
}

export function ComparisonStanding({ standing }: { standing: Standing }) {
  const [best, ...others] = standing.methods;
  const close = notClearlyBelow(standing);
  return (
    <section className="panel" data-testid="standing">
      <h3>Which differences are real</h3>
      <p>
        On {standing.testExamples} test examples ({standing.measure}, {standing.trainExamples} training
        examples), <strong>{best.name}</strong> scored best.{' '}
        {close.length
          ? `Not clearly below it: ${close.join(', ')}; ${close.length === 1 ? 'it' : 'they'} may be as good.`
          : 'Every other row is clearly below it.'}
      </p>
      {standing.pick && close.length > 0 && (
        <p data-testid="standing-pick">
          Cheapest to serve of the best and those not clearly below it: <strong>{standing.pick}</strong>
          {pickGap(standing)}.
          {(close.includes(FROZEN) || best.name === FROZEN) &&
            ` No method is shown to beat the frozen model on ${standing.testExamples} test examples: a larger test split would tell smaller differences apart.`}
        </p>
      )}
      <IntervalBars
        label={`test ${standing.measure} of each row with its 95% interval`}
        rows={standing.methods.map((item) => ({
          name: item.name,
          score: item.accuracy,
          interval: item.interval,
        }))}
      />
      <table className="grid">
        <thead>
          <tr>
            <th>method</th>
            <th className="number">difference from the best [95%]</th>
            <th className="number">p (Holm)</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {others.map(({ name, difference }) => (
            <tr key={name} className={difference!.clearlyWorse ? undefined : 'selected'}>
              <td>{name}</td>
              <td className="number">
                {signed(difference!.value)} [{signed(difference!.interval[0])},{' '}
                {signed(difference!.interval[1])}]
              </td>
              <td className="number">
                {difference!.pValue < 0.001 ? '< 0.001' : difference!.pValue.toPrecision(2)}
              </td>
              <td>{difference!.clearlyWorse ? 'clearly below' : 'not clearly below'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {standing.unpaired.length > 0 && (
        <p className="muted">
          Not tested (measured before per-example results were kept): {standing.unpaired.join(', ')}
        </p>
      )}
      {(standing.otherSplit?.length ?? 0) > 0 && (
        <p className="muted">
          Not tested (measured on another test split than the rest): {standing.otherSplit!.join(', ')}
        </p>
      )}
      <p className="muted">
        Differences are paired by test example (bootstrap interval; McNemar's exact p-value, adjusted by
        Holm's method across the rows so "clearly below" holds for all at once at 5%). Each method trained
        once: the intervals count the test examples' chance, not the training's.
      </p>
    </section>
  );
}
