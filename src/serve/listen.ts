// Serves a Hono app over HTTP on Node (@hono/node-server), resolving once the port is bound.
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import { environmentError } from '../errors/index.js';

/** A running server: its base URL and a close function. */
export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Anything with a fetch handler: a Hono app of any environment. */
export interface FetchApp {
  fetch: Parameters<typeof serve>[0]['fetch'];
}

/**
 * Listens on `hostname:port` (port 0: any free port). A port in use or an address this machine lacks
 * rejects with an EnvironmentError (PORT_IN_USE, ADDRESS_NOT_AVAILABLE).
 */
export function listen(
  app: FetchApp,
  options: { hostname?: string; port?: number } = {},
): Promise<RunningServer> {
  const hostname = options.hostname ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname, port: options.port ?? 0 }, (info) => {
      server.off('error', refuse);
      resolve({
        url: `http://${hostname}:${info.port}`,
        // stops accepting, lets requests in flight finish, then ends their keep-alive connections
        // (left alone they would hold close() for their 5 s timeout)
        close: () =>
          new Promise((done) => {
            const idle = setInterval(() => (server as Server).closeIdleConnections(), 100);
            server.close(() => {
              clearInterval(idle);
              done();
            });
          }),
      });
    });
    // unheard, a failed bind is an 'error' event that ends the process, and the promise never settles
    function refuse(error: unknown) {
      reject(environmentError(error) ?? error);
    }
    server.once('error', refuse);
  });
}
