// The service's job routes: list jobs (a page at a time, without their output) and read one (its
// status, attempts, the worker holding it and the tail of its output), and cancel one. Jobs are
// submitted from the command line (`promptune job submit`), which runs them in the submitter's folder:
// the service does not take command lines over HTTP.
import type { Hono, MiddlewareHandler } from 'hono';
import type { Registry, Scope } from '../registry/index.js';
import { parseQuery } from './request-query.js';
import { jobListQuery } from './request-schemas.js';
import type { ServiceEnv } from './service-env.js';

/** Adds the job routes to the service's app. */
export function jobRoutes(
  app: Hono<ServiceEnv>,
  options: { registry: Registry; scope: (name: Scope | Scope[]) => MiddlewareHandler<ServiceEnv> },
): void {
  const { registry, scope } = options;
  app.get('/v1/jobs', scope('read'), async (context) => {
    const { status, limit, after } = parseQuery(jobListQuery, context.req.query());
    return context.json(await registry.jobs.list({ status }, { limit, after }));
  });
  app.get('/v1/jobs/:id', scope('read'), async (context) =>
    context.json(await registry.jobs.get(context.req.param('id'))),
  );
  app.post('/v1/jobs/:id/cancel', scope('admin'), async (context) =>
    context.json(await registry.jobs.cancel(context.req.param('id'))),
  );
}
