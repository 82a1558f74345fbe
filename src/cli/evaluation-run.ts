// `eval --push`: the evaluation recorded as a run in the registry while it runs: started with its
// config, its progress written at most once a second (the heartbeat that tells a live run from a killed
// one), then every example as an entry and the summary when it ends, or the error when it fails.
import { userInfo } from 'node:os';
import type { EvaluationReport } from '../eval/index.js';
import { Registry, type RunEntry } from '../registry/index.js';

/** A run being recorded. */
export interface EvaluationRunRecorder {
  id: string;
  progress: (done: number, total: number) => void;
  /** Writes the examples and the summary, and closes the registry. */
  complete: (report: EvaluationReport, summary: Record<string, unknown>) => Promise<void>;
  /** Records the failure and closes the registry. */
  fail: (error: unknown) => Promise<void>;
}

/** Entries per append: one transaction each. */
const entriesPerWrite = 500;

/** Starts a run in the registry at `db` (or DATABASE_URL). */
export async function evaluationRun(
  db: string,
  task: string,
  config: Record<string, unknown>,
): Promise<EvaluationRunRecorder> {
  const registry = await Registry.open(
    process.env.DATABASE_URL ? { url: process.env.DATABASE_URL } : { path: db },
  );
  const run = await registry.runs.start({
    kind: 'evaluation',
    task,
    config,
    actor: userInfo().username || 'cli',
  });
  let written = 0;
  let pending: Promise<void> = Promise.resolve();
  const end = async (work: () => Promise<void>) => {
    try {
      await pending;
      await work();
    } finally {
      await registry.close();
    }
  };
  return {
    id: run.id,
    progress(done, total) {
      const now = Date.now();
      if (now - written < 1_000 && done < total) return;
      written = now;
      // progress is best effort: a write that fails must not stop the evaluation
      pending = pending.then(() => registry.runs.progress(run.id, { done, total }).catch(() => undefined));
    },
    complete: (report, summary) =>
      end(async () => {
        const entries: RunEntry[] = report.examples.map((example, position) => ({
          kind: 'example',
          position,
          score: example.score,
          // passed: full marks on every repeat (a graded metric's partial credit counts as a failure)
          passed: example.scores.every((score) => score >= 1),
          data: { ...example },
        }));
        for (let from = 0; from < entries.length; from += entriesPerWrite)
          await registry.runs.append(run.id, entries.slice(from, from + entriesPerWrite));
        await registry.runs.finish(run.id, { status: 'completed', summary });
      }),
    fail: (error) =>
      end(async () => {
        await registry.runs.finish(run.id, {
          status: 'failed',
          error: error instanceof Error ? error.message : String(error),
        });
      }),
  };
}
