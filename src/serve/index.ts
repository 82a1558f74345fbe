// Public surface of the serving layer: the service over the registry (createService), the
// OpenAI-compatible routes over any AI SDK models, the engine worker's client (soft prompts and batched
// generation off the event loop), and listening on Node. The worker protocol and auth internals stay private.
export { createService, type Service, type ServiceOptions } from './service.js';
export type { Backends, ServedVersion } from './task-model.js';
export { openAiRoutes, type ListedModels, type ModelSource, type UnavailableModel } from './openai-routes.js';
export { EngineClient, type EngineInfo, type EngineResult, type SoftPromptSource } from './engine-client.js';
export { adapterSource } from './adapter-source.js';
export type { EngineOptions, SoftPromptReference } from './engine-types.js';
export { listen, type RunningServer } from './listen.js';
export { SharedRateLimiter, type RedisOutageListener } from './shared-rate-limiter.js';
export type { KeyRateLimit } from './auth.js';
export { ServiceMetrics } from './metrics.js';
export { ServiceError, statusOf, errorResponse } from './errors.js';
export { openApiDocument } from './openapi.js';
export { dashboardDirectory } from './web-assets.js';
export { runReportHtml } from './run-report.js';
export { whySpecNotServed } from './version-fit.js';
