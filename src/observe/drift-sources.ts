// Where drift's two samples come from: a window of a task's traces (the input the task saw, the output
// it gave, token counts and scores), or the dataset a served version was tuned or optimized on (its
// lineage names it; its inputs and targets). Both reduce an input to the same text: the task's input
// fields in order, one per line. Reads only.
import { NotFoundError } from '../errors/index.js';
import type { PromptVersion, Registry, TraceFilter, TraceRecord } from '../registry/index.js';
import { exampleShape, parseExamples, readLabel, type TaskSpec } from '../tasks/index.js';
import type { DriftObservations } from './drift-report.js';
import { traceFields } from './trace-input.js';

const fieldText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** An input's text: the task's fields in order, one per line. */
export function fieldsText(spec: TaskSpec, fields: Record<string, unknown>): string {
  return spec.input.fields.map((field) => fieldText(fields[field] ?? '')).join('\n');
}

/** The task input a trace carried, as text: its fields in order, one per line. */
export function traceInputText(spec: TaskSpec, trace: Pick<TraceRecord, 'input' | 'operation'>): string {
  return fieldsText(spec, traceFields(spec, trace));
}

/**
 * A trace's output as the task reads it: a label task's label (as the service's /run reads it; an
 * unconstrained model's " girl named Lily" is the label girl), else the text. Text that names no label
 * stays as it is: a rising share of unreadable answers is drift too.
 */
function answer(spec: TaskSpec, output: string | null): string | null {
  if (output === null || spec.output.kind !== 'label') return output;
  return readLabel(spec.output.labels, output) ?? output;
}

/** The observations of a window of traces (successful ones: failures have no output to compare). */
export async function traceObservations(
  registry: Registry,
  spec: TaskSpec,
  filter: TraceFilter & { since: number; until: number },
  limit = 5000,
): Promise<DriftObservations> {
  const traces: TraceRecord[] = [];
  let after: string | undefined;
  do {
    const page = await registry.traces.list(
      { ...filter, task: spec.name, source: 'service' },
      { limit: Math.min(500, limit - traces.length), after },
    );
    traces.push(...page.data.filter((trace) => trace.errorCode === null));
    after = page.next;
  } while (after && traces.length < limit);
  const scores: Record<string, number[]> = {};
  for (const score of await registry.scores.list({
    task: spec.name,
    since: filter.since,
    until: filter.until,
  }))
    if (
      score.value !== null &&
      (filter.version === undefined || score.version === filter.version) &&
      (filter.label === undefined || score.label === filter.label)
    )
      (scores[score.name] ??= []).push(score.value);
  return {
    inputs: traces.map((trace) => traceInputText(spec, trace)),
    outputs: traces.map((trace) => answer(spec, trace.output)),
    inputTokens: traces.map((trace) => trace.inputTokens),
    scores,
  };
}

/** The dataset a version was tuned or optimized on: its lineage's train split, else the task's newest train data. */
export async function referenceDataset(
  registry: Registry,
  version: PromptVersion,
): Promise<{ id: string; name: string }> {
  const lineage = (version.run as { datasets?: Record<string, string> } | null)?.datasets;
  const datasets = await registry.listDatasets(version.task);
  const id = lineage?.train ?? datasets.filter((dataset) => dataset.split === 'train').at(-1)?.id;
  const found = datasets.find((dataset) => dataset.id === id);
  if (!found)
    throw new NotFoundError(
      `version ${version.number} of ${version.task} names no training dataset in the registry`,
      {
        code: 'DRIFT_NO_REFERENCE',
        hint: 'Push the task with its data (promptune registry push --task <spec>), or compare with an earlier window: --reference 7d..1d.',
      },
    );
  return { id: found.id, name: found.name };
}

/** The observations of a stored dataset: inputs and targets. */
export async function datasetObservations(
  registry: Registry,
  spec: TaskSpec,
  datasetId: string,
): Promise<DriftObservations> {
  const dataset = (await registry.listDatasets(spec.name)).find((candidate) => candidate.id === datasetId);
  if (!dataset)
    throw new NotFoundError(`dataset ${datasetId} is not stored for ${spec.name}`, {
      code: 'DRIFT_NO_REFERENCE',
      hint: 'See the task’s datasets with promptune registry ls.',
    });
  const examples = parseExamples(await registry.getBlob(dataset.blob), dataset.name, {
    ...exampleShape(spec),
    targetOptional: true,
  });
  return {
    inputs: examples.map((example) => fieldsText(spec, example.fields)),
    outputs: examples.map((example) =>
      example.target === undefined || example.target === null ? null : fieldText(example.target),
    ),
  };
}

/**
 * Whether outputs are categories worth comparing: a label task, or few distinct reference outputs.
 * Callers compare outputs only between two windows of answers by default: against a dataset the
 * outputs are the model's answers and the dataset's targets, and their difference is the model's error
 * rather than drift.
 */
export function categoricalOutputs(spec: TaskSpec, reference: DriftObservations): boolean {
  if (spec.output.kind === 'label') return true;
  if (spec.output.kind === 'json') return false;
  const present = reference.outputs.filter((output) => output !== null);
  const distinct = new Set(present.map((output) => output.trim())).size;
  return distinct >= 2 && distinct <= 20 && present.length >= 5 * distinct;
}
