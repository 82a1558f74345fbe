// Public surface of audits: counterfactual attribute sets (built in, or read from a file), the rewriting
// of examples per group, the bias audit that scores a model on them through the evaluation harness, its
// statistics and its HTML report; the sensitivity audit (formats, demo orders, paraphrases, input noise)
// with the spread of its scores; the variability audit; explanations of soft and hard prompts; and the
// audit policy a label move is checked against.
export {
  ageWords,
  attributeSets,
  attributeSetSchema,
  nationalities,
  genderedWords,
  originNames,
  storyNames,
  type AttributeGroup,
  type AttributeSet,
} from './attribute-sets.js';
export { counterfactuals, undoReplacements, type Counterfactual } from './counterfactual.js';
export {
  biasStatistics,
  detectableText,
  pValueText,
  type BiasStatistics,
  type GroupScore,
} from './bias-statistics.js';
export { readAttributeSet } from './attribute-set-file.js';
export {
  alignedGroupNames,
  swapAttributes,
  undoSwap,
  type SwapStep,
  type SwappedExample,
} from './attribute-swap.js';
export {
  answerOf,
  biasAudit,
  type BiasAudit,
  type BiasAuditOptions,
  type FlippedExample,
} from './bias-audit.js';
export { renderBiasReportHtml } from './bias-report-html.js';
export { auditPolicyFailures, auditsRequired, type RecordedAudit } from './audit-policy.js';
export { noiseKinds, noisyFields, addNoise, type NoiseKind } from './input-noise.js';
export { demoOrderVariants, formatVariants, shuffled, type PromptVariant } from './prompt-variants.js';
export { paraphraseRequest, paraphraseVariants } from './paraphrases.js';
export { scoreSpread, type Estimate, type Spread } from './spread-statistics.js';
export {
  sensitivityAudit,
  type SensitivityAudit,
  type SensitivityOptions,
  type VariantFamily,
  type VariantScore,
} from './sensitivity-audit.js';
export { renderSensitivityReportHtml } from './sensitivity-report-html.js';
export { intervalChart } from './interval-chart.js';
export { variabilityAudit, type VariabilityAudit, type VariabilityOptions } from './variability-audit.js';
export { renderVariabilityReportHtml } from './variability-report-html.js';
export {
  explainSoftPrompt,
  type Ablation,
  type Saliency,
  type SoftExplanation,
  type VirtualTokenExplanation,
} from './explain-soft.js';
export {
  explainHardPrompt,
  type HardExplanation,
  type HardExplanationOptions,
  type PromptPart,
} from './explain-hard.js';
export { renderExplanationHtml } from './explain-report-html.js';
export { promptScorer, type AuditRunOptions } from './audit-runs.js';
