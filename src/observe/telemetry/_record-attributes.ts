// Records to OpenTelemetry attribute objects and span names: HTTP server conventions for a request,
// GenAI client conventions for a model call, and the low-cardinality subset the metrics carry. Plain
// object building on the request path, so it allocates one object per span and skips absent fields.
import type { Attributes } from '@opentelemetry/api';
import { genAiAttribute, promptuneAttribute, stableAttribute } from './_semantic-conventions.js';
import type { GenerationRecord, RequestRecord } from './records.js';

// the methods the HTTP conventions know; any other is reported as _OTHER with the original kept
const knownMethods = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'TRACE',
]);

/** True when a response status marks the server span as failed (5xx; a 4xx is the caller's error). */
export function isServerError(status: number): boolean {
  return status >= 500;
}

/** `{method} {route}` as the HTTP conventions name a server span (`HTTP` for an unknown method). */
export function serverSpanName(request: RequestRecord): string {
  const method = knownMethods.has(request.method) ? request.method : 'HTTP';
  return request.route ? `${method} ${request.route}` : method;
}

/** The server span's attributes; task, version and label come from the model call when there is one. */
export function requestAttributes(
  request: RequestRecord,
  generation: GenerationRecord | undefined,
): Attributes {
  const known = knownMethods.has(request.method);
  const attributes: Attributes = {
    [stableAttribute.httpRequestMethod]: known ? request.method : '_OTHER',
    [stableAttribute.httpRoute]: request.route,
    [stableAttribute.urlPath]: request.path,
    [stableAttribute.httpResponseStatusCode]: request.status,
    [promptuneAttribute.requestId]: request.requestId,
  };
  if (!known) attributes[stableAttribute.httpRequestMethodOriginal] = request.method;
  if (isServerError(request.status)) attributes[stableAttribute.errorType] = String(request.status);
  if (generation) addPromptuneAttributes(attributes, generation);
  return attributes;
}

/** `{operation} {model}` as the GenAI conventions name a model call's span. */
export function generationSpanName(generation: GenerationRecord): string {
  return `${generation.operation} ${generation.requestModel}`;
}

/** The model call span's attributes: every GenAI field the record has, and promptune's own. */
export function generationAttributes(
  generation: GenerationRecord,
  requestId: string | undefined,
): Attributes {
  // the metrics' attributes, then what only a span carries
  const attributes = metricAttributes(generation);
  if (generation.responseId !== undefined) attributes[genAiAttribute.responseId] = generation.responseId;
  const request = generation.request;
  if (request) {
    if (request.maxTokens !== undefined) attributes[genAiAttribute.requestMaxTokens] = request.maxTokens;
    if (request.temperature !== undefined)
      attributes[genAiAttribute.requestTemperature] = request.temperature;
    if (request.topP !== undefined) attributes[genAiAttribute.requestTopP] = request.topP;
    if (request.seed !== undefined) attributes[genAiAttribute.requestSeed] = request.seed;
  }
  if (generation.inputTokens !== undefined)
    attributes[genAiAttribute.usageInputTokens] = generation.inputTokens;
  if (generation.outputTokens !== undefined)
    attributes[genAiAttribute.usageOutputTokens] = generation.outputTokens;
  if (generation.finishReasons !== undefined)
    attributes[genAiAttribute.responseFinishReasons] = [...generation.finishReasons]; // the span keeps it
  if (generation.errorType !== undefined) attributes[stableAttribute.errorType] = generation.errorType;
  addPromptuneAttributes(attributes, generation);
  if (requestId !== undefined) attributes[promptuneAttribute.requestId] = requestId;
  return attributes;
}

/** The attributes both GenAI metrics share (the conventions' set: no ids, no per-request values). */
export function metricAttributes(generation: GenerationRecord): Attributes {
  const attributes: Attributes = {
    [genAiAttribute.operationName]: generation.operation,
    [genAiAttribute.providerName]: generation.provider,
    [genAiAttribute.requestModel]: generation.requestModel,
  };
  if (generation.responseModel !== undefined)
    attributes[genAiAttribute.responseModel] = generation.responseModel;
  return attributes;
}

function addPromptuneAttributes(attributes: Attributes, generation: GenerationRecord): void {
  if (generation.task !== undefined) attributes[promptuneAttribute.task] = generation.task;
  if (generation.version !== undefined) attributes[promptuneAttribute.version] = generation.version;
  if (generation.label !== undefined) attributes[promptuneAttribute.label] = generation.label;
}
