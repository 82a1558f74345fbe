// Serves a Hono app over HTTP on Node (@hono/node-server), resolving once the port is bound.
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

/** A running server: its base URL and a close function. */
export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Listens on `hostname:port` (port 0: any free port). */
export function listen(
  app: Hono,
  options: { hostname?: string; port?: number } = {},
): Promise<RunningServer> {
  const hostname = options.hostname ?? '127.0.0.1';
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname, port: options.port ?? 0 }, (info) => {
      resolve({
        url: `http://${hostname}:${info.port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
