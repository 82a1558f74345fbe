// Public surface of the evaluation layer.
export {
  evaluate,
  examplePrompt,
  type EvaluationOptions,
  type EvaluationRun,
  type ExampleResult,
  type EvaluatedModel,
} from './harness.js';
export { judgeGenerator } from './judge-generator.js';
export { escapeHtml } from './html.js';
export { summarize, type EvaluationReport } from './report.js';
export { renderReportHtml } from './report-html.js';
export { compareReports, type Comparison } from './compare.js';
export { ResponseCache, requestKey, type CachedResponse } from './response-cache.js';
export { defaultPrices, callCost, type Price } from './prices.js';
export { bootstrapInterval, pairedBootstrap, percentile, mean } from './statistics.js';
