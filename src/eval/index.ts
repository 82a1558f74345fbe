// Public surface of the evaluation layer.
export {
  defaultStateDirectory,
  evaluate,
  examplePrompt,
  type EvaluationOptions,
  type EvaluationRun,
  type ExampleResult,
  type EvaluatedModel,
  type EvaluatedCall,
  type Spend,
} from './harness.js';
export { evaluatedModel, type ModelInput } from './model-input.js';
export { judgeGenerator } from './judge-generator.js';
export { cutText, escapeHtml } from './html.js';
export { retriesText, summarize, type EvaluationReport } from './report.js';
export { renderReportHtml } from './report-html.js';
export { compareReports, type ComparedReport, type Comparison } from './compare.js';
export { evaluationReportSchema, readReport, type ReadReport } from './report-file.js';
export { ResponseCache, requestKey, type CachedResponse } from './response-cache.js';
export {
  defaultPrices,
  callCost,
  priceOf,
  priceTableSchema,
  readPrices,
  type Price,
  type PricedModel,
} from './prices.js';
export { meteredModel, worstCase, type Meter, type TokenUsage } from './metered-model.js';
export { isRetryable, withRetries } from './retry.js';
export { SpendJournal, emptyTally, sumTallies, type CallTally } from './spend-journal.js';
export { JsonLinesFile, type JsonLinesSource } from './json-lines.js';
export {
  bootstrapInterval,
  mcnemarExact,
  pairedBootstrap,
  pairedTest,
  rightOrWrong,
  type BootstrapOptions,
  type PairedComparison,
  percentile,
  mean,
  scoreInterval,
} from './statistics.js';
