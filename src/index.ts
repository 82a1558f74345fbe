// promptune's root entry point: the main entry points of every layer, by name. Everything else a layer
// offers is imported from its subpath (`promptune/engine`, `promptune/optimize`, ...); this file
// deliberately re-exports no layer whole.
/** @module promptune */
export {
  PromptuneError,
  ShapeError,
  WeightLoadError,
  TokenizerError,
  ValidationError,
  NotFoundError,
  DownloadError,
  DatasetError,
  AuthError,
  PermissionError,
  UnavailableError,
  EnvironmentError,
  EngineError,
  ProviderError,
  QualityGateError,
  BudgetExceededError,
  ConflictError,
  InterruptedError,
  GuardError,
  type GuardFailure,
  type PromptuneErrorOptions,
} from './errors/index.js';
export {
  loadModel,
  generate,
  generateStream,
  type LoadedModel,
  type LoadModelOptions,
  type Generation,
  type GenerationOptions,
} from './engine/index.js';
export {
  trainSoftPrompt,
  initSoftPrompt,
  saveAdapter,
  loadAdapter,
  SoftPromptSession,
} from './soft/index.js';
export type { SoftPrompt, TrainOptions, TrainResult } from './soft/index.js';
export {
  loadTask,
  taskFromObject,
  loadSplit,
  type Task,
  type TaskSpec,
  type TaskSpecInput,
  type Example,
} from './tasks/index.js';
export { resolveModel, createLocalProvider, type ResolvedModel } from './providers/index.js';
export {
  evaluate,
  summarize,
  type EvaluationOptions,
  type EvaluationReport,
  type ModelInput,
} from './eval/index.js';
export {
  BudgetExceeded,
  makeOptimizer,
  presets,
  type Optimizer,
  type OptimizeOptions,
  type OptimizeResult,
  type PromptArtifact,
} from './optimize/index.js';
export { Registry, exportTask, importBundle, type Actor, type PromptVersion } from './registry/index.js';
export {
  createService,
  openAiRoutes,
  EngineClient,
  listen,
  ServiceError,
  type ServiceOptions,
} from './serve/index.js';
