// Public surface of the tasks layer: task specs (validated with zod) and where they come from,
// datasets and splits, prompt templates, and the metrics a task is scored with. Loading a model or
// calling one is not here (providers, eval).
export { checkPromptFields, loadTask, taskFromObject, type Task } from './load-task.js';
export {
  taskSpec,
  metricSpec,
  demoSpec,
  type TaskSpec,
  type TaskSpecInput,
  type MetricSpec,
  type MetricName,
} from './spec.js';
export {
  validatorSpec,
  guardsSpec,
  constraintSpec,
  decodingSpec,
  onFailPolicy,
  type ValidatorSpec,
  type GuardsSpec,
  type OnFailPolicy,
  type ConstraintSpec,
  type PiiKind,
} from './guard-spec.js';
export { taskSchemaJson } from './schema.js';
export { compileJsonSchema, rootMayBeScalar, schemaProblem } from './compile-json-schema.js';
export {
  boundedRegex,
  defaultRegexTimeLimitMs,
  isRegexTimeLimit,
  type BoundedRegex,
  type RegexMatch,
} from './bounded-regex.js';
export { auditPolicySpec, auditSpec, type AuditPolicy } from './audit-policy-spec.js';
export {
  readExamples,
  parseExamples,
  seededSplit,
  findDuplicates,
  datasetStats,
  decodeUtf8,
  exampleId,
  type Example,
  type ExampleShape,
  type DatasetStats,
} from './dataset.js';
export { loadSplit, exampleShape, targetsOutsideLabels, type SplitName } from './splits.js';
export { renderPrompt, renderTemplate, templateVariables } from './template.js';
export {
  createMetrics,
  scoreOutput,
  readLabel,
  foldLabel,
  aggregateLabels,
  extractJson,
  extractJsonFor,
  judgePrompt,
  type WeightedMetric,
  type Metric,
  type MetricContext,
  type MetricScore,
  type TextGenerator,
} from './metrics/index.js';
