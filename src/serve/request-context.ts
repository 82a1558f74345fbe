// The first middleware of every request: an id (a sane incoming x-request-id, else a fresh UUID) sent
// back in the x-request-id header, the logger its errors go to, and its start time. Idempotent, so the
// OpenAI routes can use it standalone and under the service alike. It logs nothing itself.
import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { ServiceEnv } from './service-env.js';

/** The header that carries a request's id, in and out. */
export const requestIdHeader = 'x-request-id';

/** An incoming id is reused only when short and plain (it goes into logs and bodies as is). */
const saneRequestId = /^[\w.:-]{1,128}$/;

/** Middleware: sets requestId, logger and started on the context (once) and the x-request-id header. */
export function requestContext(logger: Logger): MiddlewareHandler<ServiceEnv> {
  return async (context, next) => {
    if (context.get('requestId')) return next();
    const incoming = context.req.header(requestIdHeader);
    const id = incoming !== undefined && saneRequestId.test(incoming) ? incoming : crypto.randomUUID();
    context.set('requestId', id);
    context.set('logger', logger);
    context.set('started', performance.now());
    context.header(requestIdHeader, id);
    await next();
  };
}
