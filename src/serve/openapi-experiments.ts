// The experiment routes' part of the OpenAPI document (openapi.ts assembles it): bodies and queries are
// the schemas experiment-routes.ts reads them with; summaries and statuses are written to match it.
import type { OpenApiParts } from './openapi-review.js';
import {
  experimentListQuery,
  experimentStartRequest,
  experimentStopRequest,
  jobListQuery,
} from './request-schemas.js';

const experiment = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'An experiment (exp-…)',
};

const job = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'A job (job-…)',
};

/** The /v1/jobs paths (jobs are submitted from the command line, in the folder they run in). */
export function jobPaths({ bearer, json, errors, queryParameters }: OpenApiParts) {
  return {
    '/v1/jobs': {
      get: {
        summary:
          'Jobs, newest first, optionally in one status: their command, status, attempts and worker (not their output: read a job for it); `next` continues the page as `after`',
        security: bearer,
        parameters: queryParameters(jobListQuery),
        responses: { 200: json('{ data: jobs, next? }'), ...errors(400, 401, 403, 429, 500) },
      },
    },
    '/v1/jobs/{id}': {
      get: {
        summary: 'A job with the tail of its output',
        security: bearer,
        parameters: [job],
        responses: { 200: json('The job'), ...errors(401, 403, 404, 429, 500) },
      },
    },
    '/v1/jobs/{id}/cancel': {
      post: {
        summary: 'Cancels a job (admin): a queued one at once, a running one at its next heartbeat',
        security: bearer,
        parameters: [job],
        responses: { 200: json('The job'), ...errors(401, 403, 404, 409, 429, 500) },
      },
    },
  };
}

/** The /v1/experiments paths. */
export function experimentPaths({ bearer, json, errors, body, queryParameters }: OpenApiParts) {
  return {
    '/v1/experiments': {
      get: {
        summary: 'Experiments, newest first, optionally of one task or in one status',
        security: bearer,
        parameters: queryParameters(experimentListQuery),
        responses: { 200: json('{ data: experiments }'), ...errors(400, 401, 403, 429, 500) },
      },
      post: {
        summary:
          "Starts a canary of a version against what a label (default production) serves (admin): the label's traffic is split per user (the request's `user`, else its key) by the schedule's weights, and looks at the arms' traces and scores advance, promote (moving the label) or roll back",
        security: bearer,
        requestBody: body(experimentStartRequest),
        responses: {
          201: json(
            "The experiment, with warnings: [text] when no score of the task has the primary's name yet",
          ),
          ...errors(400, 401, 403, 404, 409, 413, 429, 500),
        },
      },
    },
    '/v1/experiments/{id}': {
      get: {
        summary:
          'An experiment, every stored look (action, weight, reason, statistics), and, while it runs, the statistics a look would decide on now',
        security: bearer,
        parameters: [experiment],
        responses: {
          200: json(
            '{ experiment, events, now, decision }: while it runs, now is the arms as a look sees them and decision { action, reason } what it would do',
          ),
          ...errors(401, 403, 404, 429, 500),
        },
      },
    },
    '/v1/experiments/{id}/stop': {
      post: {
        summary:
          'Stops a running experiment (admin): all traffic back to the control, the label where it was',
        security: bearer,
        parameters: [experiment],
        requestBody: { ...body(experimentStopRequest), required: false }, // no body: stopped by the key's name
        responses: {
          200: json('The experiment, stopped'),
          ...errors(400, 401, 403, 404, 409, 413, 429, 500),
        },
      },
    },
    '/v1/experiments/{id}/look': {
      post: {
        summary:
          'Looks at a running experiment now and applies its step (admin); the service also looks on its own every few seconds',
        security: bearer,
        parameters: [experiment],
        responses: {
          200: json('{ experiment, action, reason, statistics, recorded }'),
          ...errors(401, 403, 404, 409, 429, 500),
        },
      },
    },
  };
}
