// A method comparison (compare-methods --push) of one task: what every method shared, test accuracy by
// training-set size as a chart, and a row per method of what it costs (parameters, time per step,
// memory), how well it did (test accuracy at each size) and what it changes (held-out perplexity) or
// costs to serve; while it runs, the measurements made so far.
import { useMemo } from 'react';
import { LineChart } from '../components/chart';
import { ComparisonStanding, type Standing } from '../components/comparison-standing';
import { ErrorBox } from '../components/feedback';
import { readableBytes, readableNumber } from '../adapter-details';
import { score } from '../format';
import type { Page, Run, RunEntry } from '../types';
import { useApi } from '../use-api';

/** A measurement as compare-methods records it (MethodMeasurement; null where it measured no number). */
interface Measurement {
  task: string;
  method: string;
  sourceTasks?: string[];
  trainExamples: number;
  trainableParameters: number;
  steps: number;
  secondsPerStep: number | null;
  /** The training's wall-clock seconds, dev evaluations included (absent in older journals). */
  trainingSeconds?: number;
  peakResidentMegabytes: number | null;
  testAccuracy: number | null;
  /** A label task's accuracy among its labels (the label of the highest log-likelihood), as it is served. */
  testLabelAccuracy?: number;
  /** The frozen model with the input alone: the row to beat. */
  frozen?: { testAccuracy: number; testLabelAccuracy?: number };
  devAccuracy: number | null;
  heldOutPerplexity: { before: number | null; after: number | null };
  serving: {
    bytesPerTask: number;
    extraMultiplyAddsPerToken: number;
    extraPositionsPerRequest: number;
    sharesModel: boolean;
  };
  /** Taken from the journal of an earlier comparison rather than measured by this one. */
  kept?: boolean;
  /** Its row's name as compare-methods prints it: "multitask prompt tuning (from animal, gender)". */
  name?: string;
  /** What a request costs beyond the frozen model's, as compare-methods prints it. */
  perRequest?: string;
}

const fixed = (value: number | null, digits: number) => (value === null ? '–' : value.toFixed(digits));

export function ComparisonRun({ run }: { run: Run }) {
  const entries = useApi<Page<RunEntry>>(
    `/v1/runs/${encodeURIComponent(run.id)}/entries?kind=measurement&limit=1000`,
    run.status === 'running' ? 2000 : undefined,
  );
  const measurements = useMemo(
    () => (entries.data?.data ?? []).map((entry) => entry.data as unknown as Measurement),
    [entries.data],
  );
  // a row per method as given, a column per training-set size measured
  const rows = useMemo(() => {
    const byMethod = new Map<string, Measurement[]>();
    for (const measurement of measurements) {
      const name = measurement.name ?? measurement.method;
      byMethod.set(name, [...(byMethod.get(name) ?? []), measurement]);
    }
    return [...byMethod.entries()].map(([name, group]) => ({
      name,
      group,
      largest: group.reduce((a, b) => (b.trainExamples > a.trainExamples ? b : a)),
    }));
  }, [measurements]);
  const sizes = useMemo(
    () => [...new Set(measurements.map((item) => item.trainExamples))].sort((a, b) => a - b),
    [measurements],
  );
  const wholeSplit = Array.isArray(run.config.sizes) && run.config.sizes.includes('all');
  // a label task is judged among its labels, as it is served; others by exact match
  const labelled = measurements.some((item) => item.testLabelAccuracy !== undefined);
  const frozen = measurements.find((item) => item.frozen)?.frozen;
  // what a row is judged by (its label accuracy on a label task), null where it has none
  const accuracyOf = (item?: Pick<Measurement, 'testAccuracy' | 'testLabelAccuracy'>) =>
    (labelled ? item?.testLabelAccuracy : item?.testAccuracy) ?? null;
  const chart = useMemo(() => {
    return {
      x: sizes.map((_, index) => index),
      // the whole training split, when the comparison asked for all of it
      names: sizes.map((size) => (size === sizes.at(-1) && wholeSplit ? `${size} (all)` : String(size))),
      series: [
        ...(frozen ? [{ label: 'no tuning', values: sizes.map(() => accuracyOf(frozen)) }] : []),
        ...rows.map(({ name, group }) => ({
          label: name,
          values: sizes.map((size) => accuracyOf(group.find((item) => item.trainExamples === size))),
        })),
      ],
    };
    // accuracyOf reads labelled alone, among the dependencies
  }, [rows, sizes, wholeSplit, labelled, frozen]);
  // which rows are clearly below the best: in the summary of a completed comparison
  const standing = run.summary?.standing as Standing | undefined;
  // one row highlighted: the standing's best (of tied rows the cheapest to serve), else the first of the
  // highest accuracy
  const top = Math.max(...rows.map(({ largest }) => accuracyOf(largest) ?? -1));
  // the frozen model is the best when no method beats it (of tied rows it costs the least)
  const frozenBest = standing?.methods[0]?.name === 'no tuning (the frozen model)';
  const best = frozenBest
    ? undefined
    : (rows.find(({ name }) => name === standing?.methods[0]?.name)?.name ??
      rows.find(({ largest }) => accuracyOf(largest) === top)?.name);
  const config = run.config;
  // the tasks by their folders' names: this run's is its folder's (its registry name may be lowercased)
  const tasks = Array.isArray(config.tasks) ? (config.tasks as string[]) : [];
  const own = String(config.data ?? '')
    .split(/[\\/]/)
    .filter(Boolean)
    .pop();
  return (
    <>
      <p className="muted" data-testid="comparison-settings">
        every method on {String(config.model)} for {String(config.epochs)} epoch
        {config.epochs === 1 ? '' : 's'} of batches of {String(config.batchSize)}, seed {String(config.seed)};
        prompts of {String(config.virtualTokens)} positions, LoRA of rank {String(config.rank)}
        {tasks.length > 1 && `; compared beside ${tasks.filter((task) => task !== own).join(', ')}`}
      </p>
      {entries.error && <ErrorBox error={entries.error} />}
      {measurements.length === 0 ? (
        <p className="muted">No measurement made yet.</p>
      ) : (
        <>
          <LineChart
            title={
              labelled ? 'test label accuracy by training examples' : 'test exact match by training examples'
            }
            x={chart.x}
            xNames={chart.names}
            xLabel="training examples"
            series={chart.series}
            yLabel="accuracy"
          />
          <section className="panel">
            <table className="grid" data-testid="comparison">
              <thead>
                <tr>
                  <th>method</th>
                  <th className="number">trainable parameters</th>
                  <th className="number">s / step</th>
                  <th className="number">training</th>
                  <th className="number">peak memory</th>
                  {sizes.map((size) => (
                    <th key={size} className="number">
                      exact match on {size}
                    </th>
                  ))}
                  {labelled &&
                    sizes.map((size) => (
                      <th key={`label-${size}`} className="number">
                        label accuracy on {size}
                      </th>
                    ))}
                  <th className="number">held-out perplexity before → after</th>
                  <th className="number">kept per served task</th>
                  <th>extra per request</th>
                </tr>
              </thead>
              <tbody>
                {frozen && (
                  <tr className={frozenBest ? 'muted selected' : 'muted'} data-testid="frozen">
                    <td>no tuning (the frozen model)</td>
                    <td className="number">0</td>
                    <td className="number">–</td>
                    <td className="number">–</td>
                    <td className="number">–</td>
                    {sizes.map((size) => (
                      <td key={size} className="number">
                        {score(frozen.testAccuracy)}
                      </td>
                    ))}
                    {labelled &&
                      sizes.map((size) => (
                        <td key={`label-${size}`} className="number">
                          {score(frozen.testLabelAccuracy)}
                        </td>
                      ))}
                    <td className="number">–</td>
                    <td className="number">0 B</td>
                    <td>none</td>
                  </tr>
                )}
                {rows.map(({ name, group, largest }) => (
                  <tr key={name} className={name === best ? 'selected' : undefined}>
                    <td>
                      {name}
                      {group.some((item) => item.kept) && (
                        <span className="muted" title="taken from the journal of an earlier comparison">
                          {' '}
                          (journal)
                        </span>
                      )}
                    </td>
                    <td className="number">{readableNumber(largest.trainableParameters)}</td>
                    <td className="number">{fixed(largest.secondsPerStep, 3)}</td>
                    <td className="number">
                      {largest.trainingSeconds === undefined
                        ? '–'
                        : `${largest.trainingSeconds.toFixed(largest.trainingSeconds < 10 ? 1 : 0)} s`}
                    </td>
                    <td className="number">
                      {largest.peakResidentMegabytes === null
                        ? '–'
                        : `${largest.peakResidentMegabytes.toFixed(0)} MB`}
                    </td>
                    {sizes.map((size) => (
                      <td key={size} className="number">
                        {score(group.find((item) => item.trainExamples === size)?.testAccuracy ?? undefined)}
                      </td>
                    ))}
                    {labelled &&
                      sizes.map((size) => (
                        <td key={`label-${size}`} className="number">
                          {score(group.find((item) => item.trainExamples === size)?.testLabelAccuracy)}
                        </td>
                      ))}
                    <td className="number">
                      {fixed(largest.heldOutPerplexity.before, 2)} →{' '}
                      {fixed(largest.heldOutPerplexity.after, 2)}
                    </td>
                    <td className="number">{readableBytes(largest.serving.bytesPerTask)}</td>
                    <td>{largest.perRequest ?? '–'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p className="muted">
              Each row's numbers but its accuracies are from its largest training set; s / step is the median
              step's own time, training the whole run's (dev evaluations included). Peak memory is the
              process's, the model included. Exact match is the greedy answer being the target; a label task's
              label accuracy picks the label of the highest likelihood, as it is served. The highlighted row
              scored best on the largest set (of rows tied, the cheapest to serve).
            </p>
          </section>
          {standing && standing.methods.length > 1 && <ComparisonStanding standing={standing} />}
        </>
      )}
    </>
  );
}
