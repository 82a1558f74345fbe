// The service's OpenAPI 3.1 document (GET /openapi.json), written by hand to match service.ts.

const bearer = [{ apiKey: [] }];
const error = {
  description: "An error in OpenAI's shape",
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};
const json = (description: string, schema: object = { type: 'object' }) => ({
  description,
  content: { 'application/json': { schema } },
});
/** The errors a completion route answers with. */
const completionErrors = { 400: error, 401: error, 403: error, 404: error, 413: error, 429: error };
/** A served answer: JSON, with the header that names the registry version behind it. */
const served = (description: string) => ({
  ...json(description),
  headers: {
    'promptune-version': {
      description: 'Id of the registry version that served the request',
      schema: { type: 'string' },
    },
  },
});
const name = {
  name: 'name',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'task, task@label or task@version',
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'promptune',
    version: '0.1.0',
    description:
      'Tuned prompts served from the promptune registry. `model` is a task name, task@label or task@version. Send Authorization: Bearer <key>; scopes: read, run, admin.',
  },
  components: {
    securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
    schemas: {
      Error: {
        type: 'object',
        properties: {
          error: {
            type: 'object',
            properties: {
              message: { type: 'string' },
              type: { type: 'string' },
              param: { type: ['string', 'null'] },
              code: { type: 'string' },
            },
          },
        },
      },
    },
  },
  paths: {
    '/v1/chat/completions': {
      post: {
        summary:
          'OpenAI-compatible chat completion (SSE with stream: true); the last user message is the task input',
        security: bearer,
        requestBody: json('model, messages, max_tokens, temperature, top_p, stop, seed, stream'),
        responses: { 200: served('A chat.completion (or an SSE stream of chunks)'), ...completionErrors },
      },
    },
    '/v1/completions': {
      post: {
        summary: 'OpenAI-compatible text completion; the prompt is the task input',
        security: bearer,
        requestBody: json('model, prompt, max_tokens, temperature, top_p, stop, seed, stream'),
        responses: { 200: served('A text_completion'), ...completionErrors },
      },
    },
    '/v1/models': {
      get: {
        summary: 'Served tasks and task@label names',
        security: bearer,
        responses: { 200: json('A list') },
      },
    },
    '/v1/tasks/{name}/run': {
      post: {
        summary:
          'Runs a task on typed input ({ input: { field: value } }, or a string for one-field tasks) and returns its typed output',
        security: bearer,
        parameters: [name],
        requestBody: json('{ input }'),
        responses: {
          200: served('{ task, version, output, text, usage }'),
          400: error,
          404: error,
          422: error,
        },
      },
    },
    '/v1/tasks': {
      get: {
        summary: 'Tasks with version counts and labels',
        security: bearer,
        responses: { 200: json('{ data }') },
      },
    },
    '/v1/tasks/{name}': {
      get: {
        summary: 'A task spec and its labels',
        security: bearer,
        parameters: [name],
        responses: { 200: json('{ spec, labels }'), 404: error },
      },
    },
    '/v1/tasks/{name}/versions': {
      get: {
        summary: "A task's versions",
        security: bearer,
        parameters: [name],
        responses: { 200: json('{ data }') },
      },
    },
    '/v1/tasks/{name}/versions/{ref}': {
      get: {
        summary: 'One version by label, number or id prefix',
        security: bearer,
        parameters: [name, { name: 'ref', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: json('A version'), 404: error },
      },
    },
    '/v1/tasks/{name}/labels/{label}': {
      put: {
        summary: 'Moves a label to a version (admin scope)',
        security: bearer,
        parameters: [name, { name: 'label', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: json('{ version, reason }'),
        responses: { 200: json('The label event'), 403: error, 404: error },
      },
    },
    '/v1/tasks/{name}/requests': {
      get: {
        summary: 'Sampled logged requests of a task (admin scope)',
        security: bearer,
        parameters: [name],
        responses: { 200: json('{ data }') },
      },
    },
    '/health': { get: { summary: 'Liveness', responses: { 200: json('{ status }') } } },
    '/ready': {
      get: {
        summary: 'Readiness: registry reachable, engine loaded (503 while a dead engine worker restarts)',
        responses: { 200: json('{ status, engine }'), 503: json('{ status }') },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics',
        responses: { 200: { description: 'text/plain exposition format' } },
      },
    },
  },
} as const;
