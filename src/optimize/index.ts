// Public surface of hard-prompt optimization.
export type {
  Budget,
  OptimizeOptions,
  OptimizeResult,
  Optimizer,
  PromptArtifact,
  Role,
  RoleBudget,
  RoleUsage,
  RunDetails,
  ScoredPrompt,
  Trial,
} from './types.js';
export { BudgetExceeded, BudgetTracker } from './budget.js';
export { BudgetExceededError } from '../errors/index.js';
export { bootstrapOptimizer, type BootstrapSettings } from './bootstrap.js';
export { applyArtifact, readArtifact } from './artifact.js';
export { proposeOptimizer, parseProposals, copiesData, type ProposeSettings } from './propose.js';
export { searchOptimizer, tpeSuggest, defaultSearchSettings, type SearchSettings } from './search.js';
export { evolveOptimizer, frontierWeights, reflectedInstruction, type EvolveSettings } from './evolve.js';
export {
  estimateSpend,
  makeOptimizer,
  maximumCalls,
  optimizerNames,
  optimizersNeedingTeacher,
  presets,
  type OptimizerName,
  type Preset,
  type PresetName,
  type SpendEstimate,
} from './presets.js';
export { renderOptimizationHtml, promptLines } from './report-html.js';
export { lineDiff, type DiffLine } from './line-diff.js';
export { noSignificantGainPossible } from './run.js';
