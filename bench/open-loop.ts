// An open-loop load generator for bench:serve: requests leave at a fixed rate whatever the answers
// do, and each latency counts from the moment its request was due (so a stalled server is charged
// for the requests it delayed). autocannon's `overallRate` cannot do this: each connection sends its
// whole second's quota back to back and then pauses, so "500 requests/s" over 32 connections is a
// closed-loop burst at 32 in flight. Not a general tool: one URL, one body, keep-alive HTTP/1.1.
import http from 'node:http';

export interface OpenLoopOptions {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Requests per second. */
  rate: number;
  seconds: number;
  /** Most connections open at once (further requests wait for one, and their wait counts). */
  connections?: number;
}

export interface OpenLoopResult {
  /** Milliseconds from each request's due time to the end of its response, in the order they ended. */
  latencies: number[];
  /** Milliseconds each request left after its due time (the generator's own lateness). */
  lateness: number[];
  /** Responses other than 200, and requests that failed. */
  failures: number;
  /** Requests sent per second, measured. */
  sentRate: number;
}

export function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections ?? 64 });
  const target = new URL(options.url);
  const headers = { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) };
  const interval = 1000 / options.rate;
  const total = Math.round(options.rate * options.seconds);
  const latencies: number[] = [];
  const lateness: number[] = [];
  let failures = 0;
  let sent = 0;
  let ended = 0;
  return new Promise((resolve) => {
    const start = performance.now();
    const finish = () => {
      if (++ended < total) return;
      agent.destroy();
      const elapsed = (performance.now() - start) / 1000;
      resolve({ latencies, lateness, failures, sentRate: sent / Math.max(elapsed, options.seconds) });
    };
    const send = (due: number) => {
      lateness.push(performance.now() - due);
      const request = http.request(
        { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers },
        (response) => {
          if (response.statusCode !== 200) failures++;
          response.resume();
          response.on('end', () => {
            latencies.push(performance.now() - due);
            finish();
          });
        },
      );
      request.on('error', () => {
        failures++;
        finish();
      });
      request.end(options.body);
    };
    // a timer per due time would drift; each wake-up sends every request that is due by now
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) send(start + sent++ * interval);
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
    };
    tick();
  });
}

/** The q-quantile (0..1) of some values, by the nearest-rank method. */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
