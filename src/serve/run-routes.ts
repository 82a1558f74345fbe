// The service's routes over recorded runs (evaluations, optimizations, trainings): GET /v1/runs (newest
// first, filtered by task, kind and status, in pages), GET /v1/runs/{id} and GET /v1/runs/{id}/entries
// (an evaluation's examples, a training's steps, an optimization's trials, with a pass/fail filter), all
// `read` scope: runs belong to the registry, as versions do, not to a key.
import type { Hono, MiddlewareHandler } from 'hono';
import type { Registry } from '../registry/index.js';
import { parseQuery } from './request-query.js';
import { runEntryQuery, runQuery } from './request-schemas.js';
import type { ServiceEnv } from './service-env.js';

/** Adds the run routes to the service's app. */
export function runRoutes(
  app: Hono<ServiceEnv>,
  options: {
    registry: Registry;
    scope: (name: 'read' | 'run' | 'admin') => MiddlewareHandler<ServiceEnv>;
  },
): void {
  const { registry, scope } = options;

  app.get('/v1/runs', scope('read'), async (context) => {
    const query = parseQuery(runQuery, context.req.query());
    const { limit, after, ...filter } = query;
    return context.json(await registry.runs.list(filter, { limit, after }));
  });

  app.get('/v1/runs/:id', scope('read'), async (context) =>
    context.json(await registry.runs.get(context.req.param('id'))),
  );

  app.get('/v1/runs/:id/entries', scope('read'), async (context) => {
    const query = parseQuery(runEntryQuery, context.req.query());
    const passed = query.passed === undefined ? undefined : query.passed === 'true';
    return context.json(
      await registry.runs.entries(context.req.param('id'), query.kind, {
        limit: query.limit,
        after: query.after,
        passed,
      }),
    );
  });
}
