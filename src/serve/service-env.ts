// What the service keeps on each request's Hono context, typed once: routes, middleware and the error
// mapper read these through `context.get` (not `context.var`, which copies them all at each read)
// instead of casting untyped keys. It holds per-request facts only; configuration stays in the
// closures that build the routes.
import type { Logger } from 'pino';
import type { AccessKey } from '../registry/index.js';

/** The Hono environment of the service's apps (`new Hono<ServiceEnv>()`). */
export interface ServiceEnv {
  Variables: {
    /** The request's id: a sane incoming x-request-id, else a fresh UUID; sent back on every response. */
    requestId: string;
    /** Where the request's internal errors are logged (with the request id). */
    logger: Logger;
    /** performance.now() when the request arrived. */
    started: number;
    /** The task that served the request, once resolved. */
    task?: string;
    /** The registry version id that served the request, once resolved. */
    version?: string;
    /** The verified API key (set by requireScope). */
    accessKey?: AccessKey;
    /** The code of the error the request was answered with (metrics). */
    errorCode?: string;
  };
}
