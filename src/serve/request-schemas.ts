// The request bodies the service accepts, as zod schemas (read by request-body.ts, documented by
// openapi.ts): OpenAI's chat and text completions as far as a served task supports them, the typed run
// and the label move. Fields OpenAI clients send that change nothing (user, metadata, store, ...) pass;
// fields that would change what a request means and are not supported (tools, logprobs, n > 1, ...)
// are refused by name, and so is an unknown field that is a typo of a known one (max_token). Tool and
// function messages are refused too: served tasks never call tools.
import { z } from 'zod';
import { canaryStepSchema, guardrailMetrics, promotionRules } from '../experiments/index.js';
import { experimentStatuses, jobStatuses, runEntryKinds, runKinds } from '../registry/index.js';
import { nearestName } from '../errors/index.js';
import type { IssueParams } from './request-body.js';

const unsupportedParameter = (field: string): IssueParams => ({
  code: 'UNSUPPORTED_PARAMETER',
  hint: `Leave out ${field}: a served task answers with text from its registry version.`,
});

/**
 * An OpenAI field the service does not support, accepted only absent, null or with the value that
 * changes nothing (`harmless`).
 */
function unsupported(field: string, harmless: (value: unknown) => boolean, why: string) {
  return z
    .unknown()
    .refine((value) => value === undefined || value === null || harmless(value), {
      error: `${field} is not supported: ${why}`,
      params: unsupportedParameter(field),
    })
    .optional()
    .meta({ description: `Not supported (${why}); refused unless absent or harmless.` });
}

const isEmptyArray = (value: unknown) => Array.isArray(value) && value.length === 0;
const isEmptyObject = (value: unknown) =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;

/** A content part: text only; other part types (image_url, input_audio, file) are refused by name. */
const contentPart = z
  .looseObject({ type: z.string(), text: z.string().optional() })
  .superRefine((part, context) => {
    if (part.type !== 'text')
      context.addIssue({
        code: 'custom',
        path: ['type'],
        message: `content part type ${JSON.stringify(part.type.slice(0, 40))} is not supported: served tasks take text`,
        params: {
          code: 'UNSUPPORTED_CONTENT',
          hint: 'Send content as a string, or as parts { "type": "text", "text": "..." }.',
        } satisfies IssueParams,
      });
    else if (part.text === undefined)
      context.addIssue({ code: 'custom', path: ['text'], message: 'Invalid input: expected string' });
  })
  .meta({ description: 'A text part { type: "text", text }; other part types are refused.' });

const content = z.union([z.string(), z.array(contentPart)], {
  error: 'expected a string or an array of content parts',
});
const name = z.string().max(256).optional();

const toolMessageHint: IssueParams = {
  code: 'UNSUPPORTED_ROLE',
  hint: 'Send system, developer, user and assistant messages; the last user message is the task input.',
};

/** OpenAI's chat messages; tool and function messages (and assistant tool calls) are refused. */
const chatMessage = z.discriminatedUnion(
  'role',
  [
    z.looseObject({ role: z.enum(['system', 'developer']), content, name }),
    z.looseObject({ role: z.literal('user'), content, name }),
    z.looseObject({
      role: z.literal('assistant'),
      content: content.nullish(),
      name,
      tool_calls: unsupported('tool_calls', isEmptyArray, 'served tasks do not call tools'),
      function_call: unsupported('function_call', () => false, 'served tasks do not call tools'),
    }),
    z
      .looseObject({ role: z.enum(['tool', 'function']) })
      .refine(() => false, {
        error: 'tool and function messages are not supported: served tasks do not call tools',
        path: ['role'],
        params: toolMessageHint,
      })
      .meta({ description: 'Refused (400 UNSUPPORTED_ROLE): served tasks do not call tools.' }),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union' ? 'expected role system, developer, user or assistant' : undefined,
  },
);

/** max_tokens and max_completion_tokens: a whole number from 1 to the service's limit. */
const maxTokens = (limit: number) =>
  z
    .number()
    .refine((value) => Number.isInteger(value) && value >= 1 && value <= limit, {
      error: `expected a whole number from 1 to ${limit}`,
      params: {
        code: 'MAX_TOKENS_OUT_OF_RANGE',
        hint: `Ask for a whole number of tokens from 1 to ${limit} (this service's limit).`,
      } satisfies IssueParams,
    })
    .meta({ type: 'integer', minimum: 1, maximum: limit })
    .nullish();

/** The fields chat and text completions share. */
const completionFields = (limits: { maxTokens: number }) => ({
  model: z.string().min(1).max(256).meta({ description: 'task, task@label or task@version' }),
  max_tokens: maxTokens(limits.maxTokens),
  max_completion_tokens: maxTokens(limits.maxTokens),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z
    .int()
    .min(1)
    .nullish()
    .meta({ description: 'Sample from the k likeliest tokens (vLLM and Ollama have it too)' }),
  stop: z
    .union([z.string(), z.array(z.string()).max(4)], {
      error: 'expected a string or an array of up to 4 strings',
    })
    .nullish(),
  seed: z.int().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  n: unsupported('n', (value) => value === 1, 'one choice per request'),
  frequency_penalty: unsupported('frequency_penalty', (value) => value === 0, 'no penalties'),
  presence_penalty: unsupported('presence_penalty', (value) => value === 0, 'no penalties'),
  logit_bias: unsupported('logit_bias', isEmptyObject, 'no logit biases'),
});

/** Fields OpenAI documents that change nothing here: passed as they are, never taken for a typo. */
const harmlessFields = new Set([
  'user',
  'metadata',
  'store',
  'parallel_tool_calls',
  'service_tier',
  'reasoning_effort',
  'prediction',
  'web_search_options',
  'verbosity',
  'prompt_cache_key',
  'safety_identifier',
]);

/**
 * An object of `shape` that passes fields it does not know, but refuses one that is a typo of a field
 * it knows: `max_token: 5` passed would answer with the version's default length, not 5.
 */
function completionObject<Shape extends z.ZodRawShape>(shape: Shape) {
  const known = Object.keys(shape);
  return z.looseObject(shape).superRefine((body, context) => {
    const given = body as {
      stream?: unknown;
      stream_options?: unknown;
      max_tokens?: unknown;
      max_completion_tokens?: unknown;
    };
    // as OpenAI answers it: usage chunks belong to a stream
    if (given.stream_options != null && given.stream !== true)
      context.addIssue({
        code: 'custom',
        path: ['stream_options'],
        message: 'stream_options is only allowed when stream is true',
        params: {
          code: 'INVALID_BODY',
          hint: 'Send "stream": true with stream_options, or leave stream_options out (an answer that is not streamed has its usage already).',
        } satisfies IssueParams,
      });
    // two limits that disagree: which one the client meant is not for the service to guess
    if (
      given.max_tokens != null &&
      given.max_completion_tokens != null &&
      given.max_tokens !== given.max_completion_tokens
    )
      context.addIssue({
        code: 'custom',
        path: ['max_completion_tokens'],
        message: `max_tokens ${String(given.max_tokens)} and max_completion_tokens ${String(given.max_completion_tokens)} disagree`,
        params: {
          code: 'INVALID_BODY',
          hint: 'Send one of them (max_completion_tokens is the newer name of max_tokens).',
        } satisfies IssueParams,
      });
    for (const field of Object.keys(body)) {
      if (known.includes(field) || harmlessFields.has(field)) continue;
      const meant = nearestName(field, known);
      if (meant)
        context.addIssue({
          code: 'custom',
          path: [field],
          message: `not a field of this request; did you mean ${meant}?`,
          params: {
            code: 'UNKNOWN_PARAMETER',
            hint: `Write ${meant}. A field the service does not know is ignored, so one this close to a known field is refused as a misspelling: it would change nothing.`,
          } satisfies IssueParams,
        });
    }
  });
}

/** POST /v1/chat/completions. */
export function chatCompletionRequest(limits: { maxTokens: number }) {
  return completionObject({
    ...completionFields(limits),
    messages: z.array(chatMessage).min(1),
    tools: unsupported('tools', isEmptyArray, 'served tasks do not call tools'),
    tool_choice: unsupported('tool_choice', (value) => value === 'none' || value === 'auto', 'no tools'),
    functions: unsupported('functions', isEmptyArray, 'served tasks do not call tools'),
    function_call: unsupported('function_call', (value) => value === 'none', 'no tools'),
    logprobs: unsupported('logprobs', (value) => value === false, 'log probabilities are not reported'),
    top_logprobs: unsupported('top_logprobs', (value) => value === 0, 'log probabilities are not reported'),
    response_format: unsupported(
      'response_format',
      (value) => (value as { type?: unknown }).type === 'text',
      "a task's output format is set by its registry version",
    ),
    modalities: unsupported(
      'modalities',
      (value) => Array.isArray(value) && value.every((entry) => entry === 'text'),
      'served tasks answer with text',
    ),
    audio: unsupported('audio', () => false, 'served tasks answer with text'),
  });
}

/** POST /v1/completions. */
export function textCompletionRequest(limits: { maxTokens: number }) {
  return completionObject({
    ...completionFields(limits),
    // a one-element list is its string: LangChain's OpenAI LLM (and others) send even one prompt as a list
    prompt: z
      .union([z.string(), z.tuple([z.string()])], {
        error:
          'expected a string, or a list of one string (batched and token prompts are not supported: send one request per prompt; the service batches concurrent requests itself)',
      })
      .transform((prompt) => (typeof prompt === 'string' ? prompt : prompt[0])),
    echo: unsupported('echo', (value) => value === false, 'the prompt is not repeated'),
    best_of: unsupported('best_of', (value) => value === 1, 'one choice per request'),
    suffix: unsupported('suffix', (value) => value === '', 'no insertion'),
    logprobs: unsupported('logprobs', (value) => value === 0, 'log probabilities are not reported'),
  });
}

/** A chat completion request as read (nulls stand for absent fields). */
export type ChatCompletionRequest = z.output<ReturnType<typeof chatCompletionRequest>>;
/** A text completion request as read. */
export type TextCompletionRequest = z.output<ReturnType<typeof textCompletionRequest>>;

/** POST /v1/tasks/{name}/run: the task's input fields, or a string for a one-field task. */
export const typedRunRequest = z.strictObject({
  input: z.union([z.string(), z.record(z.string(), z.unknown())], {
    error: "expected a string (one-field tasks) or an object of the task's input fields",
  }),
  /** The end user, as OpenAI's `user`: traced, and what keeps a user in one arm of an experiment. */
  user: z.string().max(256).optional(),
  /** Repeats a sampled answer (a version sampling at a temperature above 0 draws afresh without it). */
  seed: z
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .optional(),
  // which version runs is the path's (`task@3`, `task@staging`): said so, not "Unrecognized key"
  ...Object.fromEntries(
    ['version', 'label', 'model'].map((field) => [
      field,
      z
        .unknown()
        .refine((value) => value === undefined, {
          error: `${field} is not a field of a run: the path names what runs`,
          params: {
            code: 'UNSUPPORTED_PARAMETER',
            hint: 'Name the version or label in the path: POST /v1/tasks/{name}@3/run or /v1/tasks/{name}@staging/run.',
          } satisfies IssueParams,
        })
        .optional()
        .meta({ description: 'Not a field: name the version or label in the path (task@3).' }),
    ]),
  ),
});

/** PUT /v1/tasks/{name}/labels/{label}: where the label goes, and why. */
export const labelMoveRequest = z.strictObject({
  version: z.union([z.string().min(1).max(128), z.int().min(1)], {
    error: 'expected a version number, a label or a version id prefix',
  }),
  reason: z.string().max(1000).optional(),
  /** Why to move it although the version fails the task's audit policy (kept in the label's history). */
  overridePolicy: z.string().trim().min(1).max(1000).optional(),
});

/** POST /v1/tasks/{name}/labels/{label}/rollback: why (optional; an empty body gives none). */
export const labelRollbackRequest = z.strictObject({
  reason: z.string().max(1000).optional(),
});

/** POST /v1/runs/{id}/retire: why a finished run no longer counts for the audit policy. */
export const runRetireRequest = z.strictObject({
  reason: z.string().trim().min(1).max(1000),
});

/** POST /v1/feedback: a score on a response the service returned. */
export const feedbackRequest = z.strictObject({
  id: z.string().min(1).max(200),
  name: z.string().min(1).max(100),
  value: z.union([z.number(), z.boolean(), z.string().max(200)]),
  comment: z.string().max(10_000).optional(),
  correction: z.unknown().optional(),
});

const time = z.string().max(40);
/** GET /v1/traces: filters, a time range (durations ago or ISO times) and paging. */
export const traceQuery = z.strictObject({
  task: z.string().max(200).optional(),
  /** The evaluation or optimization run the calls belong to. */
  run: z.string().max(200).optional(),
  version: z.string().max(64).optional(),
  label: z.string().max(100).optional(),
  since: time.optional(),
  until: time.optional(),
  error: z.string().max(100).optional(),
  /** Traces where a guard check failed: `any`, or a validator's name. */
  guard: z.string().min(1).max(100).optional(),
  score: z.string().max(100).optional(),
  score_min: z.coerce.number().optional(),
  score_max: z.coerce.number().optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  after: z.string().max(500).optional(),
});
/** A route that takes no query parameters: any is refused, rather than ignored. */
export const noQuery = z.strictObject({});
/** GET /v1/runs: which runs, a page at a time. */
export const runQuery = z.strictObject({
  task: z.string().max(200).optional(),
  kind: z.enum(runKinds).optional(),
  status: z.enum(['running', 'completed', 'failed', 'cancelled', 'interrupted']).optional(),
  /** The runs that registered (or named) one version, by its full id. */
  version: z.string().max(128).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  after: z.string().max(500).optional(),
});
/** GET /v1/runs/{id}/entries: one kind of entry, from a position, optionally only passes or failures. */
export const runEntryQuery = z.strictObject({
  kind: z.enum(runEntryKinds),
  passed: z.enum(['true', 'false']).optional(),
  after: z.coerce.number().int().min(-1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
/** GET /v1/monitor: which traces to aggregate and over what windows. */
export const monitorQuery = z.strictObject({
  task: z.string().max(200).optional(),
  version: z.string().max(64).optional(),
  label: z.string().max(100).optional(),
  since: time.optional(),
  until: time.optional(),
  source: z.enum(['service', 'eval']).optional(),
  window: z.enum(['minute', 'hour', 'day']).optional(),
});

/** GET /v1/tasks/{name}/datasets/{id}/rows: a page of rows, optionally only those containing `q`. */
export const datasetRowQuery = z.strictObject({
  q: z.string().max(500).optional(),
  offset: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

/** GET /v1/drift: a task's served version (a version or label; default production, else latest) and the window. */
export const driftQuery = z.strictObject({
  task: z.string().min(1).max(200),
  version: z.string().max(64).optional(),
  label: z.string().max(100).optional(),
  window: z.string().max(40).optional(),
  alpha: z.coerce.number().min(1e-9).max(0.5).optional(),
});

/** POST /v1/experiments: the task, the version under test, the primary score, and the rollout's options. */
export const experimentStartRequest = z.strictObject({
  task: z.string().min(1).max(128),
  treatment: z.union([z.string().min(1).max(128), z.int().min(1)], {
    error: 'expected a version number, a label or a version id prefix',
  }),
  label: z.string().min(1).max(128).optional(),
  primary: z.string().min(1).max(200),
  guardrails: z.array(z.enum(guardrailMetrics)).max(3).optional(),
  schedule: z.array(canaryStepSchema).min(1).max(20).optional(),
  promoteWhen: z.enum(promotionRules).optional(),
  /** With no-harm: how much lower the treatment's primary may be and still promote (default 0.05). */
  margin: z.number().min(0).max(1_000_000).optional(),
  alpha: z.number().gt(0).lt(0.5).optional(),
  mixture: z.number().positive().optional(),
  /** How much worse each guardrail may be before it rolls back (default 0). */
  guardrailMargins: z.partialRecord(z.enum(guardrailMetrics), z.number().min(0).max(1_000_000)).optional(),
  minimumPerArm: z.int().min(1).optional(),
  maximumObservations: z.int().min(1).optional(),
  /** A look that only holds is stored at most this often (default 60,000 ms). */
  holdRecordMs: z.int().min(0).optional(),
  reason: z.string().max(1000).optional(),
});

/** POST /v1/experiments/{id}/stop: why. */
export const experimentStopRequest = z.strictObject({ reason: z.string().max(1000).optional() });

/** GET /v1/experiments: a task's, or those in one status. */
export const experimentListQuery = z.strictObject({
  task: z.string().min(1).max(128).optional(),
  status: z.enum(experimentStatuses).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

/** GET /v1/jobs: those in one status, a page at a time. */
export const jobListQuery = z.strictObject({
  status: z.enum(jobStatuses).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  after: z.string().max(500).optional(),
});
