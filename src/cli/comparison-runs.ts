// `compare-methods --push`: the comparison recorded as a `comparison` run of each task while it runs: its
// settings as the run's config, each measurement as an entry as it is made (or found in the journal),
// its progress as the task's measurements done of its total, and at the end a summary naming the method
// that scored best at the largest training-set size. A failure or Ctrl-C ends every run (cancelled when
// stopped on request, as the journal keeps what was measured).
import { byServingCost, comparisonStandings } from './comparison-significance.js';
import { extraPerRequest, methodName } from './comparison-table.js';
import type { MethodMeasurement } from './method-measurement.js';
import { resolve } from 'node:path';
import { datasetFileIds } from '../registry/index.js';
import { splitFiles } from './data-folder.js';
import { failRuns, recordRuns } from './run-recorder.js';
import { taskNameOf } from './soft-push.js';

/** The runs of a comparison being recorded. */
export interface ComparisonRecording {
  /** Records a measurement of its task (made, or `kept` from the journal) and the task's progress. */
  measured: (measurement: MethodMeasurement, task: { done: number; total: number; kept: boolean }) => void;
  /** Ends every run with its summary; the runs' ids. */
  complete: () => Promise<string[]>;
  /** Ends every run with `error`. */
  fail: (error: unknown) => Promise<void>;
}

/** Starts a `comparison` run of each task (its registry name: the folder's name made a task name). */
export async function recordComparisons(
  db: string,
  tasks: { name: string; directory: string }[],
  settings: Record<string, unknown>,
): Promise<ComparisonRecording> {
  const recordings = await recordRuns(
    db,
    tasks.map((task) => {
      // the ids of the files it read (as soft train's runs name theirs), though it stores no data in
      // the registry: its config names the folder
      const name = taskNameOf(task.name);
      return {
        kind: 'comparison' as const,
        task: name,
        datasets: datasetFileIds(name, splitFiles(task.directory)),
        config: { ...settings, data: resolve(task.directory), tasks: tasks.map((each) => each.name) },
      };
    }),
  );
  const made = tasks.map((): MethodMeasurement[] => []);
  return {
    measured(measurement, { done, total, kept }) {
      const index = tasks.findIndex((task) => task.name === measurement.task);
      const recording = recordings[index];
      recording.add([
        {
          kind: 'measurement',
          position: made[index].length,
          score: Number.isFinite(accuracyOf(measurement)) ? accuracyOf(measurement) : null,
          passed: null,
          // its row's name and cost per request as the table prints them, for the dashboard to show as is
          data: {
            ...measurement,
            kept,
            name: methodName(measurement),
            perRequest: extraPerRequest(measurement.serving),
          },
        },
      ]);
      made[index].push(measurement);
      recording.progress(done, total);
    },
    async complete() {
      for (const [index, recording] of recordings.entries())
        await recording.complete(comparisonSummary(made[index]));
      return recordings.map((recording) => recording.id);
    },
    fail: (error) => failRuns(recordings, error),
  };
}

/** What a measurement is judged by: a label task's label accuracy (as it is served), else exact match. */
const accuracyOf = (measurement: MethodMeasurement) =>
  measurement.testLabelAccuracy ?? measurement.testAccuracy;

/**
 * A task's comparison in brief: how many measurements, and the method with the best test accuracy at the
 * largest training-set size it trained on (of a tie, the cheapest to serve, as the standing ranks them): a
 * label task's label accuracy, as the dashboard ranks them, else exact match; and its standing, which
 * rows (the frozen model's among them) are clearly below the best (comparison-significance.ts).
 */
export function comparisonSummary(measurements: MethodMeasurement[]): Record<string, unknown> {
  const largest = Math.max(...measurements.map((measurement) => measurement.trainExamples));
  const best = measurements
    .filter(
      (measurement) => measurement.trainExamples === largest && Number.isFinite(accuracyOf(measurement)),
    )
    .reduce<MethodMeasurement | undefined>(
      (leader, measurement) =>
        !leader ||
        accuracyOf(measurement) > accuracyOf(leader) ||
        (accuracyOf(measurement) === accuracyOf(leader) &&
          byServingCost(measurement.serving, leader.serving) < 0)
          ? measurement
          : leader,
      undefined,
    );
  // which rows are not clearly below the best, on the same test examples (the dashboard shows it)
  const [standing] = comparisonStandings(measurements);
  return {
    measurements: measurements.length,
    ...(standing?.methods.length && { standing }),
    ...(best && {
      best: {
        method: best.method,
        ...(best.sourceTasks && { sourceTasks: best.sourceTasks }),
        testAccuracy: accuracyOf(best),
        measure: best.testLabelAccuracy === undefined ? 'exact match' : 'label accuracy',
        trainExamples: best.trainExamples,
      },
      score: accuracyOf(best),
    }),
  };
}
