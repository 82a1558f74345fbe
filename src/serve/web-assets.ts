// The dashboard's files (web/, built by Vite into dist/web) served at `/`: index.html, never cached so a
// new build is picked up, and the hashed files under /assets, cached for good. Only files inside the
// build's folder are served; the dashboard reaches the service through /v1 like any client.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import type { ServiceEnv } from './service-env.js';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

// the dashboard loads only its own files and talks only to this origin
const securityHeaders = {
  'content-security-policy':
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * Where the built dashboard is: dist/web beside this module in the package, or the repository's
 * dist/web when running from the sources. Undefined when it was not built.
 */
export function dashboardDirectory(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, '..', 'web'), join(here, '..', '..', 'dist', 'web')].find((candidate) =>
    existsSync(join(candidate, 'index.html')),
  );
}

/** Serves the dashboard built in `directory` at `/` and `/assets/*`. */
export function webAssets(app: Hono<ServiceEnv>, directory: string): void {
  const root = resolve(directory);
  const send = async (file: string, cache: string, within = root) => {
    const path = resolve(root, file);
    if (!path.startsWith(within + sep)) return undefined; // ../ never leaves the folder served
    const bytes = await readFile(path).catch(() => undefined);
    if (!bytes) return undefined;
    return new Response(bytes, {
      headers: {
        'content-type': contentTypes[extname(path)] ?? 'application/octet-stream',
        'cache-control': cache,
        ...securityHeaders,
      },
    });
  };
  app.get('/', async (context) => (await send('index.html', 'no-cache')) ?? context.notFound());
  app.get('/assets/*', async (context) => {
    const file = context.req.path.slice(1); // decoded once by Hono (an undecodable escape stays as it is)
    return (
      (await send(file, 'public, max-age=31536000, immutable', join(root, 'assets'))) ?? context.notFound()
    );
  });
  app.get(
    '/favicon.svg',
    async (context) => (await send('favicon.svg', 'public, max-age=86400')) ?? context.notFound(),
  );
}
