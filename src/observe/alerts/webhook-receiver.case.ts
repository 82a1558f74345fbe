// A real HTTP receiver for the webhook tests, on 127.0.0.1 and a free port: it records every POST
// (headers and parsed body) and answers with the statuses it is scripted to give, or not at all.
// Test support only (like the conformance suites, *.case.ts is left out of the build).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver got. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** How the receiver answers one request: a status (and body), or `hang` to never answer. */
export type Answer = number | { status: number; body?: string; headers?: Record<string, string> } | 'hang';

/** A running receiver. */
export interface WebhookReceiver {
  url: string;
  received: ReceivedRequest[];
  /** Resolves once `count` requests have arrived. */
  waitFor(count: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

/** Starts a receiver answering with `answers` in turn, then with `otherwise` (default 200). */
export async function startReceiver(
  answers: Answer[] = [],
  otherwise: Answer = 200,
): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      received.push({
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: text ? JSON.parse(text) : undefined,
      });
      for (const waiter of waiters.filter((waiter) => received.length >= waiter.count)) waiter.resolve();
      const answer = answers.shift() ?? otherwise;
      if (answer === 'hang') return;
      const { status, body, headers } =
        typeof answer === 'number' ? { status: answer, body: '', headers: {} } : answer;
      response.writeHead(status, headers).end(body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    waitFor: (count) =>
      received.length >= count
        ? Promise.resolve(received)
        : new Promise((resolve) => waiters.push({ count, resolve: () => resolve(received) })),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL on 127.0.0.1 where nothing listens (a port the system gave out and that was closed again). */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/hook`;
}
