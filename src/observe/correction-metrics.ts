// A correction is a reference: when feedback brings the output that was right, the task's own metrics
// (exact match, F1, label, JSON, ...) score the served output against it, each as a score
// `metric.<name>` with source `evaluator`. The judge and custom metrics are left out (they need a
// model or a module the service does not have).
import { versionSpec, type Registry, type ScoreRecord, type TraceRecord } from '../registry/index.js';
import { createMetrics } from '../tasks/index.js';
import { traceFields } from './trace-input.js';

/** Scores a trace's output against a correction with its task's metrics; returns the scores added. */
export async function scoreCorrection(
  registry: Registry,
  trace: TraceRecord,
  correction: unknown,
): Promise<ScoreRecord[]> {
  if (trace.task === null || trace.version === null || trace.output === null || correction === undefined)
    return [];
  const version = await registry.resolveVersion(trace.task, trace.version);
  const spec = await versionSpec(registry, version);
  const usable = spec.metrics.filter((metric) => metric.name !== 'judge' && metric.name !== 'custom');
  const metrics = await createMetrics(usable, { task: spec, baseDirectory: process.cwd() });
  const example = { index: 0, line: 0, id: trace.id, fields: traceFields(spec, trace), target: correction };
  const added: ScoreRecord[] = [];
  for (const { metric } of metrics) {
    const result = await metric.score(example, trace.output);
    added.push(
      await registry.scores.add({
        traceId: trace.id,
        name: `metric.${metric.name}`,
        value: result.score,
        source: 'evaluator',
        ...(result.feedback ? { comment: result.feedback } : {}),
      }),
    );
  }
  return added;
}
