// Public surface of the guard layer: validators (JSON Schema, labels, regex, length, banned phrases,
// PII, refusals, custom functions, an LLM judge) with on-fail policies, guard() around any AI SDK
// model, the detectors they use, and constrained decoding for the local engine.
export type { Validator, CheckResult, CheckIssue, CheckContext, CheckUsage } from './validator.js';
export {
  boundsTokens,
  createGuardSet,
  createValidator,
  type GuardSet,
  type GuardedValidator,
  type GuardContext,
} from './create-validators.js';
export {
  runChecks,
  describeFailures,
  type CheckOutcome,
  type CheckAction,
  type ChecksResult,
} from './run-checks.js';
export { checkRecordSchema, checkRecords, finalVerdicts, type CheckRecord } from './check-record.js';
export { guard, type GuardOptions } from './guarded-model.js';
export { buildSpecGuards, preflightGuards } from './guards-preflight.js';
export { checksOf, reaskMessage } from './guarded-generate.js';
export { checkFields, type CheckedFields } from './check-fields.js';
export { refrainResult, refrainStream } from './refrain-answer.js';
export { constrain, taskConstraint } from './constrain-model.js';
export { jsonSchemaValidator } from './validators/json-schema.js';
export { labelsValidator } from './validators/labels.js';
export { editDistance } from '../errors/index.js';
export { regexValidator } from './validators/regex.js';
export { lengthValidator, type LengthBounds } from './validators/length.js';
export { detectorValidator } from './validators/detected.js';
export { customValidator } from './validators/custom.js';
export { judgeValidator, judgeValidatorPrompt } from './validators/judge.js';
export {
  detectPii,
  detectPhrases,
  detectRefusal,
  maskSpans,
  piiKinds,
  type DetectedSpan,
} from './detectors/index.js';
export { compileConstraint, compileTokenConstraint, constraintAutomaton } from './constrain/index.js';
