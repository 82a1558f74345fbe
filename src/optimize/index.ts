// Public surface of hard-prompt optimization.
export type { Budget, OptimizeOptions, Optimizer, PromptArtifact, Trial } from './types.js';
export { BudgetExceeded, BudgetTracker } from './budget.js';
export { bootstrapOptimizer, type BootstrapSettings } from './bootstrap.js';
export { applyArtifact, readArtifact } from './artifact.js';
export { proposeOptimizer, parseProposals, copiesData, type ProposeSettings } from './propose.js';
export { searchOptimizer, tpeSuggest, defaultSearchSettings, type SearchSettings } from './search.js';
export { evolveOptimizer, frontierWeights, type EvolveSettings } from './evolve.js';
