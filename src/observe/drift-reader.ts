// The `drift` alert metric: the served version's traffic in the rule's window against the dataset that
// version was tuned on; the value is how many features moved (0 when none), the detail says which.
// The reference of each version is read once and kept, for the most recently measured versions only.
// The statistics are drift-report.ts's.
import { NotFoundError, ValidationError } from '../errors/index.js';
import { versionSpec, type PromptVersion, type Registry } from '../registry/index.js';
import type { TaskSpec } from '../tasks/index.js';
import type { MetricQuery, MetricReading } from './alerts/alert-types.js';
import { datasetObservations, referenceDataset, traceObservations } from './drift-sources.js';
import { driftReport, type DriftObservations, type DriftOptions, type DriftReport } from './drift-report.js';
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

/** How many versions' training references a reader keeps (the least recently used goes first). */
export const keptTrainingReferences = 16;

/** The reference a version is compared with: its training dataset and that dataset's observations. */
interface TrainingReference {
  dataset: { id: string; name: string };
  observations: DriftObservations;
}

/**
 * A served version's traffic in `window` against the dataset it was tuned on (outputs stay out: answers
 * against a dataset's targets measure the model's error, not drift). `references` keeps the references
 * of the last keptTrainingReferences versions measured between calls.
 */
export async function trainingDataDrift(
  registry: Registry,
  query: Pick<MetricQuery, 'task' | 'version' | 'label'>,
  window: { since: number; until: number },
  options: Omit<DriftOptions, 'categoricalOutputs'> = {},
  references: Map<string, TrainingReference> = new Map(),
): Promise<{ version: PromptVersion; spec: TaskSpec; reference: TrainingReference; report: DriftReport }> {
  const version = await servedVersion(registry, query);
  // coded when a stored spec no longer parses (REGISTRY_VERSION_UNSERVABLE), not a bare ZodError
  const spec = await versionSpec(registry, version);
  let reference = references.get(version.id);
  if (!reference) {
    const dataset = await referenceDataset(registry, version);
    reference = { dataset, observations: await datasetObservations(registry, spec, dataset.id) };
  }
  // most recently used last; a service whose labels keep moving would otherwise keep every version's
  references.delete(version.id);
  references.set(version.id, reference);
  if (references.size > keptTrainingReferences) references.delete(references.keys().next().value!);
  const current = await traceObservations(registry, spec, { version: version.id, ...window });
  const report = await driftReport(reference.observations, current, {
    ...options,
    categoricalOutputs: false,
  });
  return { version, spec, reference, report };
}

/** A drift reader over the registry (options: alpha, an embedder, rng). */
export function traceDriftReader(
  registry: Registry,
  options: Omit<DriftOptions, 'categoricalOutputs'> = {},
): DriftReader {
  const references = new Map<string, TrainingReference>();
  return async (query): Promise<MetricReading> => {
    const { version, report } = await trainingDataDrift(registry, query, query, options, references);
    return {
      value: report.features.length ? report.moved.length : undefined,
      count: report.currentCount,
      detail: {
        version: version.id,
        moved: report.moved,
        skipped: report.skipped.map((skip) => skip.feature),
      },
    };
  };
}
