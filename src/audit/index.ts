// Public surface of audits (work in progress, issue 17): counterfactual attribute sets, the rewriting of
// examples per group, and the statistics of a bias audit. The runner that scores a task's model on the
// rewritten examples, the CLI and reports come next.
export {
  attributeSets,
  attributeSetSchema,
  genderedWords,
  storyNames,
  type AttributeGroup,
  type AttributeSet,
} from './attribute-sets.js';
export { counterfactuals, undoReplacements, type Counterfactual } from './counterfactual.js';
export { biasStatistics, type BiasStatistics, type GroupScore } from './bias-statistics.js';
