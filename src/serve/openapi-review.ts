// The review routes' part of the OpenAPI document (openapi.ts assembles it): bodies and queries are the
// schemas review-routes.ts reads them with; summaries and statuses are written to match it.
import type { z } from 'zod';
import {
  calibrationQuery,
  nextQuery,
  correctionsRequest,
  decisionRequest,
  feedRequest,
  reviewersRequest,
  itemsAddRequest,
  queueCreateRequest,
} from './review-schemas.js';

/** What openapi.ts builds its entries with. */
export interface OpenApiParts {
  bearer: object[];
  json: (description: string) => object;
  errors: (...statuses: (400 | 401 | 403 | 404 | 409 | 413 | 429 | 500)[]) => object;
  body: (schema: z.ZodType) => object;
  queryParameters: (schema: z.ZodObject) => object[];
}

const queue = {
  name: 'name',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'A review queue',
};
const item = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'A review item',
};

/** The /v1/review paths. */
export function reviewPaths({ bearer, json, errors, body, queryParameters }: OpenApiParts) {
  const entry = (
    summary: string,
    ok: object,
    statuses: Parameters<OpenApiParts['errors']>,
    extra: object = {},
  ) => ({
    summary,
    security: bearer,
    ...extra,
    responses: { ...ok, ...errors(...statuses) },
  });
  return {
    '/v1/review/queues': {
      get: entry(
        'The review queues the key may see (a review key: those it is assigned to; admin: all), each with its progress',
        { 200: json('{ data: queues with progress { items, reviewed, reviewers, mine } }') },
        [401, 403, 429, 500],
      ),
      post: entry(
        'Creates a queue of a task (admin): reviews per item, reservation time, rubric, reviewers (key names), feeding rules',
        { 201: json('The queue') },
        [400, 401, 403, 404, 413, 429, 500],
        { requestBody: body(queueCreateRequest) },
      ),
    },
    '/v1/review/queues/{name}': {
      get: entry(
        'A queue with its progress',
        { 200: json('The queue with progress') },
        [401, 403, 404, 429, 500],
        {
          parameters: [queue],
        },
      ),
    },
    '/v1/review/queues/{name}/items': {
      post: entry(
        'Adds items by hand (admin): input and output, traces by id, or the failed examples of an evaluation run',
        { 201: json('{ added, data: items }') },
        [400, 401, 403, 404, 413, 429, 500],
        { parameters: [queue], requestBody: body(itemsAddRequest) },
      ),
    },
    '/v1/review/queues/{name}/reviewers': {
      put: entry(
        'Sets who reviews the queue (admin): key names, [] for every key with the review scope; items a dropped reviewer holds are given back',
        { 200: json('The queue, with its progress') },
        [400, 401, 403, 404, 413, 429, 500],
        { parameters: [queue], requestBody: body(reviewersRequest) },
      ),
    },
    '/v1/review/queues/{name}/feed': {
      post: entry(
        "Applies the queue's rules to the task's served traffic in a window (admin); each trace is queued once",
        { 200: json('{ added, since, until }') },
        [400, 401, 403, 404, 413, 429, 500],
        { parameters: [queue], requestBody: body(feedRequest) },
      ),
    },
    '/v1/review/queues/{name}/next': {
      post: entry(
        'Reserves the next item for the key (for the queue’s reservation time) and returns it with its trace, prompt version and similar past decisions (of fully reviewed items only: reviewers decide blind); { item: null } when none is left. With disputes=1 (admin): the oldest item the reviewers disagree on that this key has not decided, with its decisions',
        { 200: json('{ item, task, trace, version, similar, decisions? } or { item: null }') },
        [400, 401, 403, 404, 429, 500],
        { parameters: [queue, ...queryParameters(nextQuery)] },
      ),
    },
    '/v1/review/queues/{name}/disputes': {
      get: entry(
        'The items the reviewers disagree on (no strict majority names one answer), each with the answer every decision names (admin)',
        { 200: json('{ data: [{ item, answers: [{ reviewer, decision, answer }] }] }') },
        [401, 403, 404, 429, 500],
        { parameters: [queue] },
      ),
    },
    '/v1/review/queues/{name}/agreement': {
      get: entry(
        "The reviewers' agreement on the answer each decision names, on the decisions and on each rubric item (Cohen's kappa for two, Krippendorff's alpha for more, with 95% bootstrap intervals and the share of agreeing pairs) and progress per reviewer",
        { 200: json('{ queue, reviewers, answer, decision, rubric, progress }') },
        [401, 403, 404, 429, 500],
        { parameters: [queue] },
      ),
    },
    '/v1/review/queues/{name}/decisions': {
      get: entry(
        'Every decision of the queue (admin)',
        { 200: json('{ data: decisions }') },
        [401, 403, 404, 429, 500],
        {
          parameters: [queue],
        },
      ),
    },
    '/v1/review/queues/{name}/calibration': {
      get: entry(
        "An LLM judge's agreement with the reviewers (admin): kappa with its interval, raw agreement, confusion counts and a verdict",
        { 200: json('{ score, items, kappa, agreement, confusion, verdict }') },
        [400, 401, 403, 404, 429, 500],
        { parameters: [queue, ...queryParameters(calibrationQuery)] },
      ),
    },
    '/v1/review/queues/{name}/dataset': {
      get: entry(
        "What writing the queue's corrections now would add (admin), written nowhere: { base, added (rows by split), duplicates, held }",
        { 200: json('{ base, added, duplicates, held }') },
        [400, 401, 403, 404, 429, 500],
        { parameters: [queue] },
      ),
      post: entry(
        "Writes the queue's agreed corrections as the task's next dataset version (admin): seeded split rule, deduplicated, with provenance",
        {
          201: json('{ version, created: true, added, duplicates, held }: a new dataset version'),
          200: json(
            '{ version, created: false, added, duplicates, held }: nothing new was written; version is the one that already holds these rows',
          ),
        },
        [400, 401, 403, 404, 413, 429, 500],
        { parameters: [queue], requestBody: body(correctionsRequest) },
      ),
    },
    '/v1/review/items/{id}': {
      get: entry(
        'An item with its trace, prompt version and similar past decisions',
        { 200: json('{ item, task, trace, version, similar }') },
        [401, 403, 404, 429, 500],
        { parameters: [item] },
      ),
    },
    '/v1/review/items/{id}/decision': {
      post: entry(
        "Records the key's decision at once (a correction is checked against the task's output); refused while another reviewer holds the item",
        { 201: json('The stored decision') },
        [400, 401, 403, 404, 413, 429, 500],
        { parameters: [item], requestBody: body(decisionRequest) },
      ),
    },
    '/v1/review/items/{id}/release': {
      post: entry(
        'Gives back the key’s reservation of the item',
        { 204: { description: 'Released' } },
        [401, 403, 404, 429, 500],
        {
          parameters: [item],
        },
      ),
    },
  };
}
