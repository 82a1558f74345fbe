// npm run bench:observe — what recording production costs. (a) Service overhead of tracing: the
// service with its trace recorder on and off (bench/serve-target.ts, each in its own process, over a
// stub upstream), open loop at 500 requests/s (bench/open-loop.ts), alternating three runs each; the
// overhead is on minus off at p50 and p99 (target p99 <= 1 ms), and every traced request is counted
// in the registry. (b) Ingest: traces through the recorder into SQLite and Postgres, against the peer
// of a bare multi-row INSERT of the same rows in one transaction per batch, with the event loop's
// longest stall while it runs (no request waits longer than that). (c) `monitor` and `drift` over
// 1,000,000 stored traces in SQLite (and Postgres with BENCH_POSTGRES=1), target <= 2 s each, beside
// the floor of one bare COUNT/SUM GROUP BY over the same rows.
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { seededRandom } from '../src/engine/index.js';
import {
  monitor,
  TraceRecorder,
  traceObservations,
  driftReport,
  datasetObservations,
  WorkerTraceSink,
  type TraceSink,
} from '../src/observe/index.js';
import { Registry, registerTask, type TraceRecord } from '../src/registry/index.js';
import { loadTask } from '../src/tasks/index.js';
import { postgresBinaries, startPostgres } from '../test/postgres.js';
import { openLoop, quantile, type OpenLoopResult } from './open-loop.js';
import { line } from './report.js';
import { syntheticTrace } from './synthetic-traces.js';
import { startServeTarget } from './serve-processes.js';

const here = dirname(fileURLToPath(import.meta.url));
const rate = Number(process.env.BENCH_RATE ?? 500);
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const stored = Number(process.env.BENCH_TRACES ?? 1_000_000);

async function overhead() {
  const stub = startServeTarget();
  const { upstream } = await stub.ready;
  const traced = startServeTarget(upstream);
  const untraced = startServeTarget(upstream, process.env.BENCH_BASELINE ?? 'untraced');
  const targets = { traced: await traced.ready, untraced: await untraced.ready };
  const body = JSON.stringify({
    model: 'echo',
    messages: [{ role: 'user', content: 'hello there' }],
    max_tokens: 8,
  });
  const path = (name: keyof typeof targets) => ({
    url: `${targets[name].service}/v1/chat/completions`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${targets[name].key}` },
    body,
    rate,
  });
  const names = ['untraced', 'traced'] as const;
  for (const name of names) await openLoop({ ...path(name), seconds: 6 }); // warm-up
  const runs: Record<(typeof names)[number], OpenLoopResult[]> = { traced: [], untraced: [] };
  for (let round = 0; round < 3; round++)
    for (const name of names) runs[name].push(await openLoop({ ...path(name), seconds }));
  const metrics = await (await fetch(`${targets.traced.service}/metrics`)).text();
  const outcome = (name: string) =>
    Number(new RegExp(`promptune_traces\\{outcome="${name}"\\} (\\d+)`).exec(metrics)?.[1] ?? NaN);
  const sent = runs.traced.reduce((sum, run) => sum + run.latencies.length, 0) + 6 * rate;
  for (const child of [traced.child, untraced.child, stub.child]) child.kill('SIGTERM');
  const median = (name: (typeof names)[number], q: number) =>
    runs[name].map((run) => quantile(run.latencies, q)).sort((a, b) => a - b)[1];
  line(`(a) tracing overhead, open loop at ${rate} requests/s, 3 x ${seconds} s per path, alternating`);
  for (const name of names)
    line(
      `${name.padEnd(9)} latency p50 ${median(name, 0.5).toFixed(2)} ms, p99 ${median(name, 0.99).toFixed(2)} ms (p99 of each run: ${runs[
        name
      ]
        .map((run) => quantile(run.latencies, 0.99).toFixed(2))
        .join(', ')}), failures ${runs[name].reduce((sum, run) => sum + run.failures, 0)}`,
    );
  line(
    `    overhead of tracing (medians): p50 ${(median('traced', 0.5) - median('untraced', 0.5)).toFixed(2)} ms, p99 ${(median('traced', 0.99) - median('untraced', 0.99)).toFixed(2)} ms (target p99 <= 1 ms)`,
  );
  line(
    `    traces of the traced service: ${outcome('written')} written + ${outcome('queued')} queued of ~${sent} requests, ${outcome('dropped')} dropped, ${outcome('failed')} failed`,
  );
}

/** Rows of the traces table as the peer inserts them (the same columns the store writes). */
const columns =
  'id, at, source, run, operation, model, task, version, label, key_id, end_user, input, output, input_tokens, output_tokens, cost, latency_ms, first_token_ms, finish_reason, status, error_code, checks';
const rowOf = (trace: TraceRecord) => [
  trace.id,
  trace.at,
  trace.source,
  trace.run,
  trace.operation,
  trace.model,
  trace.task,
  trace.version,
  trace.label,
  trace.keyId,
  trace.user,
  JSON.stringify(trace.input),
  trace.output,
  trace.inputTokens,
  trace.outputTokens,
  trace.cost,
  trace.latencyMs,
  trace.firstTokenMs,
  trace.finishReason,
  trace.status,
  trace.errorCode,
  null,
];

async function ingest(
  name: string,
  registry: Registry,
  peer: (batch: TraceRecord[]) => Promise<void>,
  count: number,
  sink: TraceSink = registry.traces,
) {
  const base = Date.now();
  const traces = Array.from({ length: count }, (_, index) => syntheticTrace(index, base + index));
  // the longest gap of a 1 ms timer while traces are written: how long a request could have waited
  let last = performance.now();
  let stall = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
  }, 1);
  let started = performance.now();
  const recorder = new TraceRecorder(sink, {
    capacity: count,
    batchSize: 500,
    flushIntervalMs: 100,
  });
  // as the service records: from the request path, 100 at a time between other work, the writes behind
  for (let index = 0; index < traces.length; index += 100) {
    for (const trace of traces.slice(index, index + 100)) recorder.record(trace);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await recorder.close();
  const ours = count / ((performance.now() - started) / 1000);
  clearInterval(probe);
  const peerTraces = traces.map((trace) => ({ ...trace, id: `peer-${trace.id}` }));
  started = performance.now();
  for (let index = 0; index < peerTraces.length; index += 500)
    await peer(peerTraces.slice(index, index + 500));
  const bare = count / ((performance.now() - started) / 1000);
  line(
    `${name.padEnd(15)} recorder ${Math.round(ours)} traces/s, bare INSERT ${Math.round(bare)} traces/s (ratio ${(ours / bare).toFixed(2)}; target >= 5,000/s), longest event-loop stall ${stall.toFixed(1)} ms (a 1 ms timer), stored ${await registry.traces.count()}`,
  );
}

async function fill(registry: Registry, count: number, span: number) {
  const now = Date.now();
  const started = performance.now();
  for (let index = 0; index < count; index += 10_000) {
    const batch = Array.from({ length: Math.min(10_000, count - index) }, (_, offset) =>
      syntheticTrace(index + offset, now - span + Math.floor(((index + offset) / count) * span)),
    );
    await registry.traces.insert(batch);
  }
  return (performance.now() - started) / 1000;
}

async function reads(name: string, registry: Registry, floor: () => Promise<void>) {
  const day = 86_400_000;
  const timed = async (work: () => Promise<unknown>) => {
    const times: number[] = [];
    for (let run = 0; run < 3; run++) {
      const started = performance.now();
      await work();
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b)[1];
  };
  const now = Date.now() + 1;
  const all = await timed(() => monitor(registry, { since: now - day, until: now, window: 'hour' }));
  const oneTask = await timed(() =>
    monitor(registry, { task: 'name', since: now - day, until: now, window: 'hour' }),
  );
  const lastHour = await timed(() => monitor(registry, { since: now - 3_600_000, until: now }));
  const bare = await timed(floor);
  const task = loadTask(join(here, '..', 'examples', 'name.yaml'));
  const datasets = await registerTask(registry, task);
  const reference = await datasetObservations(registry, task.spec, datasets.train);
  const drift = await timed(async () => {
    const current = await traceObservations(registry, task.spec, { since: now - day, until: now });
    await driftReport(reference, current, { rng: seededRandom(2) });
  });
  line(
    `${name.padEnd(9)} monitor, all tasks over 24 h: ${(all / 1000).toFixed(2)} s; one task: ${(oneTask / 1000).toFixed(2)} s; last hour: ${(lastHour / 1000).toFixed(2)} s; drift of one task over 24 h (newest 5,000 traces): ${(drift / 1000).toFixed(2)} s (targets <= 2 s); floor, one bare GROUP BY: ${(bare / 1000).toFixed(2)} s`,
  );
}

async function main() {
  const only = process.env.BENCH_ONLY;
  if (!only || only === 'a') await overhead();
  if (!only || only === 'b') {
    line('(b) trace ingest, 100,000 traces recorded one by one, written in batches of 500');
    const folder = mkdtempSync(join(tmpdir(), 'promptune-bench-observe-'));
    const sqlite = await Registry.open({ path: join(folder, 'ingest.sqlite') });
    const raw = new Database(join(folder, 'peer.sqlite'));
    raw.pragma('journal_mode = WAL');
    raw.exec(
      `create table traces (${columns
        .split(', ')
        .map((column) => `${column} ${column === 'id' ? 'text primary key' : ''}`)
        .join(', ')})`,
    );
    const insert = raw.prepare(
      `insert into traces (${columns}) values (${columns
        .split(', ')
        .map(() => '?')
        .join(', ')})`,
    );
    const many = raw.transaction((batch: TraceRecord[]) => {
      for (const trace of batch) insert.run(...rowOf(trace));
    });
    await ingest('SQLite', sqlite, async (batch) => many(batch), 100_000);
    await sqlite.close();
    // as promptune serve writes: from a worker thread, so the event loop only queues
    const workerPath = join(folder, 'worker.sqlite');
    const viaWorker = await Registry.open({ path: workerPath });
    const sink = await WorkerTraceSink.start({ path: workerPath });
    await ingest(
      'SQLite, worker',
      viaWorker,
      async (batch) => many(batch.map((trace) => ({ ...trace, id: `w-${trace.id}` }))),
      100_000,
      sink,
    );
    await sink.close();
    await viaWorker.close();
    if (postgresBinaries()) {
      const server = await startPostgres();
      const registry = await Registry.open({ url: server.url });
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      await client.query(`create table peer_traces (like traces)`);
      await ingest(
        'Postgres',
        registry,
        async (batch) => {
          const values: unknown[] = [];
          const rows = batch.map((trace) => {
            const row = rowOf(trace);
            const placeholders = row.map((value) => `$${values.push(value)}`);
            return `(${placeholders.join(', ')})`;
          });
          await client.query(`insert into peer_traces (${columns}) values ${rows.join(', ')}`, values);
        },
        100_000,
      );
      await client.end();
      await registry.close();
      server.stop();
    } else line('Postgres  not installed: skipped (apt-get install postgresql)');
  }
  if (!only || only === 'c') {
    line(
      `(c) monitor and drift over ${stored.toLocaleString('en')} stored traces spread over 24 h, 4 tasks, 3 versions each`,
    );
    const folder = mkdtempSync(join(tmpdir(), 'promptune-bench-observe-'));
    const path = join(folder, 'million.sqlite');
    const sqlite = await Registry.open({ path });
    const fillSeconds = await fill(sqlite, stored, 86_000_000);
    line(
      `SQLite    filled in ${fillSeconds.toFixed(1)} s (${Math.round(stored / fillSeconds)} traces/s through TraceStore.insert)`,
    );
    const raw = new Database(path, { readonly: true });
    await reads('SQLite', sqlite, async () => {
      raw
        .prepare(
          'select task, version, label, count(*), sum(input_tokens) from traces where at >= ? group by task, version, label',
        )
        .all(Date.now() - 86_400_000);
    });
    raw.close();
    await sqlite.close();
    if (process.env.BENCH_POSTGRES === '1' && postgresBinaries()) {
      const server = await startPostgres();
      const registry = await Registry.open({ url: server.url });
      const seconds = await fill(registry, stored, 86_000_000);
      line(`Postgres  filled in ${seconds.toFixed(1)} s`);
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      await client.query('analyze traces');
      await reads('Postgres', registry, async () => {
        await client.query(
          'select task, version, label, count(*), sum(input_tokens) from traces where at >= $1 group by task, version, label',
          [Date.now() - 86_400_000],
        );
      });
      await client.end();
      await registry.close();
      server.stop();
    }
  }
}

await main();
