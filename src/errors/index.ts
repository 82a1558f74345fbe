// Public error classes and the schema readers. Every error promptune throws on purpose is a
// PromptuneError with a code and a hint; each kind recognises its own instances (`X.isInstance`).
export { PromptuneError, type PromptuneErrorOptions } from './promptune-error.js';
export { ShapeError } from './shape-error.js';
export { WeightLoadError } from './weight-load-error.js';
export { TokenizerError } from './tokenizer-error.js';
export { ValidationError } from './validation-error.js';
export { NotFoundError, unlessNotFound } from './not-found-error.js';
export { DownloadError } from './download-error.js';
export { DatasetError } from './dataset-error.js';
export { AuthError } from './auth-error.js';
export { PermissionError } from './permission-error.js';
export { UnavailableError } from './unavailable-error.js';
export { EnvironmentError, environmentError, withEnvironmentErrors } from './environment-error.js';
export { EngineError } from './engine-error.js';
export { ProviderError } from './provider-error.js';
export { QualityGateError } from './quality-gate-error.js';
export { BudgetExceededError } from './budget-exceeded-error.js';
export { ConflictError } from './conflict-error.js';
export { InterruptedError } from './interrupted-error.js';
export { GuardError, type GuardFailure } from './guard-error.js';
export {
  decodeText,
  describeIssues,
  jsonDepth,
  maximumJsonDepth,
  parseInput,
  parseJsonBytes,
  parseJsonText,
  readJsonFile,
  readInputFile,
  type ErrorKind,
  type InputSource,
} from './parse-input.js';
export { readYamlFile } from './yaml-file.js';
export { editDistance, nearestName } from './nearest-name.js';
export { cutText } from './cut-text.js';
export { displayWidth, padToWidth } from './display-width.js';
export { redactedUrl } from './redacted-url.js';
export {
  redactSecrets,
  retryAfterMs,
  upstreamError,
  upstreamRetryAfter,
  type UpstreamAudience,
} from './upstream-error.js';
