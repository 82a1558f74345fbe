// The `drift` alert metric: the served version's traffic in the rule's window against the dataset that
// version was tuned on; the value is how many features moved (0 when none), the detail says which.
// The reference of each version is read once and kept. The statistics are drift-report.ts's.
import { NotFoundError, ValidationError } from '../errors/index.js';
import type { PromptVersion, Registry } from '../registry/index.js';
import { taskSpec } from '../tasks/index.js';
import type { MetricQuery, MetricReading } from './alerts/alert-types.js';
import { datasetObservations, referenceDataset, traceObservations } from './drift-sources.js';
import { driftReport, type DriftObservations, type DriftOptions } from './drift-report.js';
import type { DriftReader } from './trace-metrics.js';

/** The version a task, version or label names (a bare task: production, else latest), as the service serves it. */
export async function servedVersion(
  registry: Registry,
  query: Pick<MetricQuery, 'task' | 'version' | 'label'>,
): Promise<PromptVersion> {
  if (!query.task)
    throw new ValidationError('the drift metric needs a task', {
      code: 'ALERT_RULES_INVALID',
      hint: 'Give the rule a task: drift is measured against that task’s training data.',
    });
  if (query.version) return registry.resolveVersion(query.task, query.version);
  if (query.label) return registry.resolveVersion(query.task, query.label);
  return registry
    .resolveVersion(query.task, 'production')
    .catch((error: unknown) =>
      NotFoundError.isInstance(error)
        ? registry.resolveVersion(query.task!, 'latest')
        : Promise.reject(error),
    );
}

/** A drift reader over the registry (options: alpha, an embedder, rng). */
export function traceDriftReader(
  registry: Registry,
  options: Omit<DriftOptions, 'categoricalOutputs'> = {},
): DriftReader {
  const references = new Map<string, DriftObservations>();
  return async (query): Promise<MetricReading> => {
    const version = await servedVersion(registry, query);
    const spec = taskSpec.parse(await registry.getSpec(version.specId));
    let reference = references.get(version.id);
    if (!reference) {
      reference = await datasetObservations(registry, spec, (await referenceDataset(registry, version)).id);
      references.set(version.id, reference);
    }
    const current = await traceObservations(registry, spec, {
      version: version.id,
      since: query.since,
      until: query.until,
    });
    // answers against a dataset's targets measure the model's error, not drift: outputs stay out
    const report = await driftReport(reference, current, { ...options, categoricalOutputs: false });
    return {
      value: report.features.length ? report.moved.length : undefined,
      count: current.inputs.length,
      detail: {
        version: version.id,
        moved: report.moved,
        skipped: report.skipped.map((skip) => skip.feature),
      },
    };
  };
}
