// The service's OpenAPI 3.1 document (GET /openapi.json): the request bodies are the zod schemas the
// routes read them with (z.toJSONSchema), so the two cannot drift; routes, summaries and the error
// statuses each route answers are written here by hand to match service.ts. It is built once per service.
import { z } from 'zod';
import {
  chatCompletionRequest,
  labelMoveRequest,
  labelRollbackRequest,
  textCompletionRequest,
  typedRunRequest,
  feedbackRequest,
  monitorQuery,
  traceQuery,
  runQuery,
  runEntryQuery,
  runRetireRequest,
  datasetRowQuery,
  driftQuery,
} from './request-schemas.js';
import { reviewPaths } from './openapi-review.js';
import { experimentPaths, jobPaths } from './openapi-experiments.js';

const bearer = [{ apiKey: [] }];
const requestIdHeader = {
  'x-request-id': {
    description: 'The request id (a sane incoming x-request-id, else a fresh one); the service log names it',
    schema: { type: 'string' },
  },
};
const errorResponse = (description: string) => ({
  description,
  headers: requestIdHeader,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});
/** What each status means, whatever the route. */
const errorDescriptions = {
  400: 'Bad input: a body or field that does not fit (code and param name it)',
  401: 'No API key, or an unknown or revoked one',
  403: 'The key lacks the scope, or the label is protected',
  404: 'No such task, version, model or route; or a version this service cannot run (its guards, constraint, an adapter for other weights, a backend it lacks: the code and message say which)',
  409: "The state refuses it: a gate (the version fails the task's audit policy; the message lists the failed criteria), or a change under it (an experiment already on the label)",
  413: 'The body is larger than the service accepts',
  422: "Understood, but its content was refused: a guard refused the input or the answer, or the model's output does not fit the task's output type (the raw text is in the message)",
  429: 'The key is over its rate limit',
  500: 'A fault of the service or its engine; the message names the request id to find it in the log',
  502: 'The backend model (an upstream API) failed; the message says what it answered',
  503: 'Unavailable for now: the engine is restarting, the registry is unreachable, or the backend model is rate limiting the service (UPSTREAM_RATE_LIMITED, with its Retry-After); retry',
} as const;
type ErrorStatus = keyof typeof errorDescriptions;
const errors = (...statuses: ErrorStatus[]) =>
  Object.fromEntries(statuses.map((status) => [status, errorResponse(errorDescriptions[status])]));
const readErrors = errors(401, 403, 429, 500);

const json = (description: string, schema: object = { type: 'object' }) => ({
  description,
  headers: requestIdHeader,
  content: { 'application/json': { schema } },
});
const versionHeader = {
  'promptune-version': {
    description: 'Id of the registry version that served the request',
    schema: { type: 'string' },
  },
};
/** A served answer: JSON, with the header that names the registry version behind it. */
const served = (description: string) => ({
  ...json(description),
  headers: { ...requestIdHeader, ...versionHeader },
});
/** A served chat answer: its headers also count the messages no model saw. */
const servedChat = (description: string) => ({
  ...served(description),
  headers: {
    ...requestIdHeader,
    ...versionHeader,
    'promptune-unused-messages': {
      description:
        "How many of the chat's messages reached no model (sent when any did not): the last user message is the task's whole input, the version holds the prompt, and system messages and earlier turns are left out",
      schema: { type: 'string' },
    },
  },
});
const body = (schema: z.ZodType) => ({
  required: true,
  content: {
    'application/json': { schema: z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) },
  },
});
/** A route's query parameters from its (flat) zod schema. */
const queryParameters = (schema: z.ZodObject) =>
  Object.entries(schema.shape).map(([parameter, field]) => ({
    name: parameter,
    in: 'query',
    required: false,
    schema: z.toJSONSchema(field as z.ZodType, { io: 'input', unrepresentable: 'any' }),
  }));
const name = {
  name: 'name',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'task, task@label or task@version',
};
const label = { name: 'label', in: 'path', required: true, schema: { type: 'string' } };
const datasetId = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'A dataset id',
};

/** The document for a service whose requests may ask for up to `maxTokens` tokens. */
export function openApiDocument(limits: { maxTokens: number }) {
  const completionErrors = errors(400, 401, 403, 404, 409, 413, 422, 429, 500, 502, 503);
  return {
    openapi: '3.1.0',
    info: {
      title: 'promptune',
      version: '0.1.0',
      description:
        "Tuned prompts served from the promptune registry. `model` is a task name, task@label or task@version. Send Authorization: Bearer <key>; scopes: read, run, review (a reviewer's: the review routes of the queues it is assigned to), admin. Errors come in OpenAI's shape with a SCREAMING_SNAKE `code`, a `hint`, and `param` naming the field at fault.",
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['message', 'type', 'param', 'code', 'hint'],
              properties: {
                message: { type: 'string' },
                type: { type: 'string' },
                param: {
                  type: ['string', 'null'],
                  description: 'The body field at fault, e.g. messages.0.content',
                },
                code: { type: 'string', description: 'Stable, SCREAMING_SNAKE_CASE' },
                hint: { type: ['string', 'null'], description: 'What to do about it' },
              },
            },
          },
        },
      },
    },
    paths: {
      ...reviewPaths({ bearer, json, errors, body, queryParameters }),
      ...experimentPaths({ bearer, json, errors, body, queryParameters }),
      ...jobPaths({ bearer, json, errors, body, queryParameters }),
      '/v1/chat/completions': {
        post: {
          summary:
            'OpenAI-compatible chat completion (SSE with stream: true); the last user message is the task input. Tool and function messages, tools, logprobs, n > 1 and response formats other than text are refused.',
          security: bearer,
          requestBody: body(chatCompletionRequest(limits)),
          responses: {
            200: servedChat(
              'A chat.completion (or an SSE stream of chunks); its model names the version that answered (task@number)',
            ),
            ...completionErrors,
          },
        },
      },
      '/v1/completions': {
        post: {
          summary: 'OpenAI-compatible text completion; the prompt (a string) is the task input',
          security: bearer,
          requestBody: body(textCompletionRequest(limits)),
          responses: {
            200: served(
              'A text_completion (or an SSE stream of chunks); its model names the version that answered (task@number)',
            ),
            ...completionErrors,
          },
        },
      },
      '/v1/models': {
        get: {
          summary: 'Served tasks and task@label names',
          security: bearer,
          responses: {
            200: json(
              "{ object: 'list', data: [{ id, object: 'model', created, owned_by }] }: the names this service can run; names whose version it cannot (an adapter trained on other weights than the served model's, say) are left out and listed in unavailable: [{ id, reason }]",
            ),
            ...readErrors,
          },
        },
      },
      '/v1/models/{id}': {
        get: {
          summary:
            'One served name, as OpenAI clients retrieve a model; 404 (with why) for a name not served here',
          security: bearer,
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            200: json("{ id, object: 'model', created, owned_by }"),
            ...errors(401, 403, 404, 429, 500),
          },
        },
      },
      '/v1/tasks/{name}/run': {
        post: {
          summary:
            'Runs a task on typed input ({ input: { field: value } }, or a string for one-field tasks) and returns its typed output',
          security: bearer,
          parameters: [name],
          requestBody: body(typedRunRequest),
          responses: {
            200: served(
              '{ task, version, output, text, usage }; output is null and refrained true when an input or output guard answered with its refrain text',
            ),
            ...errors(400, 401, 403, 404, 409, 413, 422, 429, 500, 502, 503),
          },
        },
      },
      '/v1/tasks': {
        get: {
          summary: 'Tasks with version counts and labels',
          security: bearer,
          responses: { 200: json('{ data }'), ...readErrors },
        },
      },
      '/v1/tasks/{name}': {
        get: {
          summary: 'A task spec and its labels',
          security: bearer,
          parameters: [name],
          responses: { 200: json('{ spec, labels }'), ...errors(401, 403, 404, 429, 500) },
        },
      },
      '/v1/tasks/{name}/versions': {
        get: {
          summary: "A task's versions",
          security: bearer,
          parameters: [name],
          responses: {
            200: json(
              '{ data }: versions { id, task, number, kind, method ("hard prompt", "soft prompt", "LoRA", "prefix", "P-tuning", "multitask prompt"), content, specId, parent, run, message, actor, createdAt, notServed (why this service cannot run it, when it cannot) }',
            ),
            ...errors(401, 403, 404, 429, 500),
          },
        },
      },
      '/v1/tasks/{name}/specs/{id}': {
        get: {
          summary:
            'The task spec a version serves with (its specId): its guards, output, decoding and metrics beside the prompt',
          security: bearer,
          parameters: [name, { name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: json('A task spec'), ...errors(401, 403, 404, 429, 500) },
        },
      },
      '/v1/tasks/{name}/versions/{ref}': {
        get: {
          summary: 'One version by label, number or id prefix',
          security: bearer,
          parameters: [name, { name: 'ref', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            200: json(
              'A version, with the id of the task spec it serves with (specId), and auditPolicy: for each label an audit policy guards, whether moving it here would pass { label, met, failures, counted, notCounted, heldByIncumbent }',
            ),
            ...errors(400, 401, 403, 404, 429, 500),
          },
        },
      },
      '/v1/tasks/{name}/labels/{label}': {
        put: {
          summary: 'Moves a label to a version (admin scope)',
          security: bearer,
          parameters: [name, { name: 'label', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: body(labelMoveRequest),
          responses: {
            200: json(
              "The label event { id, label, from, to, actor, reason, at, moved }; moved is false when the label already pointed there (no event written, the last one returned). A label the task's audit policy guards moves only to a version whose recorded audits meet it (409 REGISTRY_AUDIT_POLICY with the failed criteria), unless overridePolicy gives a reason, which the history keeps",
            ),
            ...errors(400, 401, 403, 404, 409, 413, 429, 500),
          },
        },
      },
      '/v1/tasks/{name}/labels/{label}/history': {
        get: {
          summary: "A label's moves, oldest first: from and to versions, who moved it, why and when",
          security: bearer,
          parameters: [name, label],
          responses: { 200: json('{ data: label events }'), ...errors(401, 403, 404, 429, 500) },
        },
      },
      '/v1/tasks/{name}/labels/{label}/rollback': {
        post: {
          summary:
            'Moves a label back to where its latest move not yet rolled back took it from; again, a move further back (admin scope)',
          security: bearer,
          parameters: [name, label],
          requestBody: { ...body(labelRollbackRequest), required: false },
          responses: {
            200: json(
              'The label event the rollback wrote, with moved: true; its reason is "rollback of move N", then ": " and the reason given',
            ),
            ...errors(400, 401, 403, 404, 413, 429, 500),
          },
        },
      },
      '/v1/tasks/{name}/dataset-versions': {
        get: {
          summary:
            "The task's numbered dataset versions: each split's dataset id, parent, source (files or a review queue) and what it added",
          security: bearer,
          parameters: [name],
          responses: { 200: json('{ data: dataset versions }'), ...errors(401, 403, 404, 429, 500) },
        },
      },
      '/v1/tasks/{name}/datasets': {
        get: {
          summary: "The task's stored datasets: id, split, file name, rows and when each was stored",
          security: bearer,
          parameters: [name],
          responses: { 200: json('{ data: datasets }'), ...errors(401, 403, 404, 429, 500) },
        },
      },
      '/v1/tasks/{name}/datasets/{id}/rows': {
        get: {
          summary: "A page of a dataset's rows (input fields and target), optionally only those containing q",
          security: bearer,
          parameters: [name, datasetId, ...queryParameters(datasetRowQuery)],
          responses: {
            200: json('{ total, matched, offset, data: rows }'),
            ...errors(400, 401, 403, 404, 429, 500),
          },
        },
      },
      '/v1/tasks/{name}/datasets/{id}/stats': {
        get: {
          summary: "A dataset's sizes, label distribution, lengths and duplicate groups",
          security: bearer,
          parameters: [name, datasetId],
          responses: {
            200: json('The statistics `promptune dataset stats --json` prints'),
            ...errors(401, 403, 404, 429, 500),
          },
        },
      },
      '/v1/me': {
        get: {
          summary: 'The key the request was sent with: its name and scopes (what a client may offer to do)',
          security: bearer,
          responses: { 200: json('{ name, scopes }'), ...readErrors },
        },
      },
      '/v1/feedback': {
        post: {
          summary:
            'Scores a response by its id (run scope): numeric, boolean or categorical, checked against the score name’s config; a key scores only its own responses unless it is admin',
          security: bearer,
          requestBody: body(feedbackRequest),
          responses: {
            201: json(
              'The stored score { id, traceId, name, kind, value, category, source, comment, correction, ... }',
            ),
            ...errors(400, 401, 403, 404, 413, 429, 500),
          },
        },
      },
      '/v1/traces': {
        get: {
          summary:
            'Traces of model requests, newest first (read scope; a key that is not admin sees its own)',
          security: bearer,
          parameters: queryParameters(traceQuery),
          responses: {
            200: json('{ data: traces, next?: cursor for `after` }'),
            ...errors(400, 401, 403, 404, 429, 500),
          },
        },
      },
      '/v1/traces/{id}': {
        get: {
          summary: 'One trace with its scores (the id is the response id the service returned)',
          security: bearer,
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: json('A trace with `scores`'), ...errors(401, 403, 404, 429, 500) },
        },
      },
      '/v1/runs': {
        get: {
          summary:
            'Recorded runs (evaluations, optimizations, trainings, audits, loop iterations, method comparisons), newest first; a run whose heartbeat stopped reads as interrupted',
          security: bearer,
          parameters: queryParameters(runQuery),
          responses: {
            200: json('{ data: runs, next?: cursor for `after` }'),
            ...errors(400, 401, 403, 429, 500),
          },
        },
      },
      '/v1/runs/{id}': {
        get: {
          summary: 'One run: its task, version, datasets, config, status, progress and summary',
          security: bearer,
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: json('A run'), ...errors(401, 403, 404, 429, 500) },
        },
      },
      '/v1/runs/{id}/retire': {
        post: {
          summary:
            'Sets a finished run aside with a reason (admin scope): it stays listed with { retired: { actor, reason, at } }, and no audit policy counts it (409 RUN_RETIRED when it already is, RUN_RUNNING while it runs)',
          security: bearer,
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: body(runRetireRequest),
          responses: { 200: json('The run, retired'), ...errors(400, 401, 403, 404, 409, 413, 429, 500) },
        },
      },
      '/v1/runs/{id}/report': {
        get: {
          summary:
            "A completed evaluation's or optimization's HTML report, rendered from what the registry recorded",
          security: bearer,
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            200: {
              description: 'The report',
              headers: requestIdHeader,
              content: { 'text/html': { schema: { type: 'string' } } },
            },
            ...errors(400, 401, 403, 404, 429, 500),
          },
        },
      },
      '/v1/runs/{id}/compare/{other}': {
        get: {
          summary:
            'Two evaluation runs compared on the examples both scored: the mean difference (other minus id) with its paired bootstrap interval and p-value (`test`: McNemar exact test when both runs scored 0 or 1, else the paired bootstrap), and the examples that improved or regressed',
          security: bearer,
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'other', in: 'path', required: true, schema: { type: 'string' } },
          ],
          responses: {
            200: json('{ a, b, n, difference, interval, pValue, test, significant, improved, regressed }'),
            ...errors(400, 401, 403, 404, 429, 500),
          },
        },
      },
      '/v1/runs/{id}/entries': {
        get: {
          summary:
            "A run's entries of one kind in position order: an evaluation's examples, a training's steps, an optimization's trials, a comparison's measurements",
          security: bearer,
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
            ...queryParameters(runEntryQuery),
          ],
          responses: {
            200: json('{ data: entries, next?: the position for `after` }'),
            ...errors(400, 401, 403, 404, 429, 500),
          },
        },
      },
      '/v1/drift': {
        get: {
          summary:
            "A served version's traffic in the window (default 24h) against the dataset it was tuned on: each input feature's test, statistic, p-value or distance, and what moved (as promptune drift)",
          security: bearer,
          parameters: queryParameters(driftQuery),
          responses: {
            200: json('{ task, version, reference, since, until, report }'),
            ...errors(400, 401, 403, 404, 429, 500),
          },
        },
      },
      '/v1/monitor': {
        get: {
          summary:
            'Aggregates per task, version and label over windows: requests, errors by code, latency and time-to-first-token percentiles, tokens, cost, score means with 95% intervals',
          security: bearer,
          parameters: queryParameters(monitorQuery),
          responses: {
            200: json('{ since, until, window, groups }'),
            ...errors(400, 401, 403, 404, 429, 500),
          },
        },
      },
      '/v1/alerts': {
        get: {
          summary: 'Alert rules with their current state, and the latest firings and resolutions',
          security: bearer,
          responses: { 200: json('{ rules, history }'), ...readErrors },
        },
      },
      '/health': { get: { summary: 'Liveness', responses: { 200: json('{ status }') } } },
      '/ready': {
        get: {
          summary:
            'Readiness: registry reachable, engine loaded (503 while a dead engine worker restarts, and { status: "draining" } once shutdown began; 200 { status: "degraded", registry: "unreachable" } while the database is away and the replica serves the versions it resolved in the last 10 minutes); engine.adapters counts the adapter versions loaded, their limit, bytes and evictions, engine.prefixes the prompt prefixes kept for reuse (bytes, limit, count, evictions); the engine is described by its model name, architecture and size, never a path',
          responses: {
            200: json('{ status, registry, engine }'),
            503: json('{ status, registry, engine? }'),
          },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          responses: { 200: { description: 'text/plain exposition format' } },
        },
      },
    },
  };
}
