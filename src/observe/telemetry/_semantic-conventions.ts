// The GenAI semantic-convention names promptune emits, and promptune's own attribute names. GenAI
// conventions are still "development" status, so, as @opentelemetry/semantic-conventions advises, the
// names are kept here rather than imported from its unstable `incubating` entry point (a test checks
// they still match it). The stable names used (HTTP, error.type, service.name) are kept here too, checked
// against the package's stable entry point by the same test: importing that entry point (~660 names)
// cost every command line start its loading, for the one command that exports telemetry.

/** Stable attribute names (semantic conventions 1.x). */
export const stableAttribute = {
  errorType: 'error.type',
  serviceName: 'service.name',
  httpRequestMethod: 'http.request.method',
  httpRequestMethodOriginal: 'http.request.method_original',
  httpResponseStatusCode: 'http.response.status_code',
  httpRoute: 'http.route',
  urlPath: 'url.path',
} as const;

/** GenAI span and metric attribute names (semantic conventions, gen-ai registry). */
export const genAiAttribute = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  responseId: 'gen_ai.response.id',
  requestMaxTokens: 'gen_ai.request.max_tokens',
  requestTemperature: 'gen_ai.request.temperature',
  requestTopP: 'gen_ai.request.top_p',
  requestSeed: 'gen_ai.request.seed',
  usageInputTokens: 'gen_ai.usage.input_tokens',
  usageOutputTokens: 'gen_ai.usage.output_tokens',
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  tokenType: 'gen_ai.token.type',
} as const;

/** promptune's own attributes: which task, version and label served a call, and the request's id. */
export const promptuneAttribute = {
  task: 'promptune.task',
  version: 'promptune.version',
  label: 'promptune.label',
  requestId: 'promptune.request_id',
} as const;

/** The GenAI client metrics, with the units and bucket boundaries the convention recommends. */
export const genAiMetric = {
  tokenUsage: {
    name: 'gen_ai.client.token.usage',
    unit: '{token}',
    description: 'Number of input and output tokens used.',
    buckets: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864],
  },
  operationDuration: {
    name: 'gen_ai.client.operation.duration',
    unit: 's',
    description: 'GenAI operation duration.',
    buckets: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92],
  },
} as const;
