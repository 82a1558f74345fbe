// A fetch for provider calls over node:http/https with keep-alive agents. Node's built-in fetch costs
// several milliseconds per request under load (measured by bench:serve: p50 9 ms vs 4 ms through a
// keep-alive http agent at 500 requests/s), which the service would add to every hard-prompt call.
// Handles what the AI SDK providers use: method, headers, string/bytes bodies, streamed responses
// and abort signals, and fails as fetch does. Not a general fetch (no redirects, no FormData bodies).
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 256 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 256 }),
};

async function bodyBytes(body: unknown): Promise<Buffer | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  return Buffer.from(await new Response(body as ConstructorParameters<typeof Response>[0]).arrayBuffer());
}

/** fetch over keep-alive agents. */
export const keepAliveFetch: typeof fetch = async (input, init = {}) => {
  const request = input instanceof Request ? input : undefined;
  const url = new URL(request ? request.url : String(input));
  const agent = agents[url.protocol as keyof typeof agents];
  if (!agent) return fetch(input, init); // data:, file: and the like
  const headers = new Headers(init.headers ?? request?.headers);
  const body = await bodyBytes(init.body ?? (request ? await request.arrayBuffer() : undefined));
  if (body) headers.set('content-length', String(body.length));
  const signal = init.signal ?? request?.signal ?? undefined;
  signal?.throwIfAborted();
  return new Promise<Response>((resolve, reject) => {
    // aborts are handled here rather than by http.request's own `signal`, which fails a response body
    // already streaming with Error('aborted', ECONNRESET); callers must see the signal's AbortError
    let incomingResponse: http.IncomingMessage | undefined;
    const onAbort = () => {
      if (incomingResponse) incomingResponse.destroy(signal!.reason);
      else outgoing.destroy(signal!.reason);
    };
    const outgoing = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: init.method ?? request?.method ?? 'GET',
        headers: Object.fromEntries(headers),
        agent,
      },
      (incoming) => {
        incomingResponse = incoming;
        incoming.once('close', () => signal?.removeEventListener('abort', onAbort));
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(incoming.headers))
          for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value])
            responseHeaders.append(name, item);
        const status = incoming.statusCode ?? 500;
        const empty = status === 204 || status === 304 || init.method === 'HEAD';
        resolve(
          new Response(empty ? null : (Readable.toWeb(incoming) as ReadableStream<Uint8Array>), {
            status,
            statusText: incoming.statusMessage,
            headers: responseHeaders,
          }),
        );
      },
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    outgoing.on('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      // as fetch fails: a TypeError('fetch failed') whose cause is the network's error (a refused
      // connection, a host no DNS knows), which the AI SDK turns into an APICallError callers can read
      reject(
        signal?.aborted && error === signal.reason ? error : new TypeError('fetch failed', { cause: error }),
      );
    });
    outgoing.end(body);
  });
};
