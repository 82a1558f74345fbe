// npm run bench:registry-queries — the registry's listings on a year-old SQLite registry: 1,000,000
// traces over 365 days and 200 tasks (90% with a common score; 1 in 10,000 with a rare one; the oldest
// 1 in 10,000 with another; 1 in 401 and 1 in 399 with two more; 40% with guard checks, 2% of all
// failing one, 1 in 10,000 failing a rare validator), 50,000 jobs and a review queue of 20,000 items
// with two decisions each. Prints each listing's median time of three after a warm-up. The filled file
// is kept (BENCH_REGISTRY names it; one there is used as it is, migrated by this code as it opens; with
// BENCH_COPY, a copy is timed and the file stays as an older promptune left it). It asserts nothing.
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry, type TraceRecord } from '../src/registry/index.js';
import { line, median } from './report.js';

const count = Number(process.env.BENCH_TRACES ?? 1_000_000);
const path =
  process.env.BENCH_REGISTRY ??
  join(mkdtempSync(join(tmpdir(), 'promptune-bench-registry-')), 'registry.sqlite');
const year = 365 * 86_400_000;
const start = Date.parse('2025-01-01T00:00:00Z');
const taskName = (index: number) => `task-${String(index % 200).padStart(3, '0')}`;
const padding = 'The quick brown fox jumps over the lazy dog while the registry grows. '.repeat(8);

/** The index-th trace: about 1 KB stored, as the trial's registry held. */
function trace(index: number): TraceRecord {
  const checked = index % 5 < 2;
  const failed = checked && index % 100 < 2;
  const rare = index % 10_000 === 4321;
  return {
    id: `t-${String(index).padStart(7, '0')}`,
    at: start + Math.floor((index / count) * year),
    source: 'service',
    run: null,
    operation: 'chat',
    model: `${taskName(index)}@production`,
    task: taskName(index),
    version: `${taskName(index)}-v${index % 100}`.padEnd(64, '0'),
    label: 'production',
    keyId: `key${index % 50}`,
    user: null,
    input: { messages: [{ role: 'user', content: `${index}: ${padding}` }] },
    output: `answer ${index} ${padding.slice(0, 200)}`,
    inputTokens: 150,
    outputTokens: 40,
    cost: null,
    latencyMs: 5 + (index % 40),
    firstTokenMs: null,
    finishReason: 'stop',
    status: 200,
    errorCode: null,
    checks: rare
      ? [
          {
            validator: 'toxicity',
            stage: 'output',
            attempt: 0,
            passed: false,
            action: 'refrain',
            reason: 'x',
          },
        ]
      : checked
        ? [
            { validator: 'pii', stage: 'input', attempt: 0, passed: true, action: 'none' },
            failed
              ? {
                  validator: 'json',
                  stage: 'output',
                  attempt: 0,
                  passed: false,
                  action: 'reask',
                  reason: 'y',
                }
              : { validator: 'json', stage: 'output', attempt: 0, passed: true, action: 'none' },
          ]
        : null,
  };
}

async function fill() {
  const started = performance.now();
  const registry = await Registry.open({ path });
  for (let index = 0; index < count; index += 5000)
    await registry.traces.insert(
      Array.from({ length: Math.min(5000, count - index) }, (_, offset) => trace(index + offset)),
    );
  await registry.review.createQueue({ name: 'bench', task: taskName(0), actor: 'bench' });
  await registry.close();
  const raw = new Database(path);
  const score = raw.prepare(`insert into scores (id, trace_id, name, kind, value, category, source, comment,
    correction, key_id, task, version, label, trace_at, at) values (?, ?, ?, 'boolean', ?, null, 'feedback',
    null, null, null, ?, ?, 'production', ?, ?)`);
  raw.transaction(() => {
    for (let index = 0; index < count; index++) {
      const { id, task, version, at } = trace(index);
      const give = (name: string, value: number) =>
        score.run(`${name}-${index}`, id, name, value, task, version, at, at + 1000);
      if (index % 10 !== 9) give('helpful', index % 5 === 0 ? 0 : 1);
      if (index % 10_000 === 1234) give('rare_flag', 1);
      if (index < count / 100 && index % 100 === 7) give('old_flag', 1);
      // just under and just over the number of matches below which the scores lead a listing (2,500)
      if (index % 401 === 3) give('scarce', 1);
      if (index % 399 === 3) give('less_scarce', 1);
    }
  })();
  const job =
    raw.prepare(`insert into jobs (id, kind, args, cwd, queue, status, attempts, max_attempts, worker,
    lease_until, cancel_requested, log, result, error, actor, created_at, started_at, heartbeat_at, finished_at)
    values (?, 'eval', '[]', '/tmp', 'registry', ?, 1, 3, null, null, 0, '', null, null, 'bench', ?, ?, ?, ?)`);
  raw.transaction(() => {
    for (let index = 0; index < 50_000; index++) {
      const at = start + index * 600_000;
      job.run(
        `job-${String(index).padStart(8, '0')}`,
        index % 50 === 0 ? 'failed' : 'completed',
        at,
        at,
        at,
        at,
      );
    }
  })();
  const item = raw.prepare(`insert into review_items (id, queue, trace_id, reason, input, output, context,
    reviews_needed, reviews_done, reserved_by, reserved_until, created_at)
    values (?, 'bench', ?, 'manual', '{}', 'x', '{}', 2, ?, null, null, ?)`);
  const decision = raw.prepare(`insert into review_decisions (item, reviewer, decision, correction, rubric,
    comment, at, first_at) values (?, ?, ?, null, '{}', null, ?, ?)`);
  raw.transaction(() => {
    for (let index = 0; index < 20_000; index++) {
      const id = `item-${index}`;
      item.run(id, `t-${String(index).padStart(7, '0')}`, index % 3 === 0 ? 1 : 2, start + index);
      decision.run(id, 'ana', index % 4 === 0 ? 'correct' : 'approve', start + index, start + index);
      if (index % 3 !== 0) decision.run(id, 'ben', 'approve', start + index, start + index);
    }
  })();
  raw.close();
  line(
    `filled ${path} with ${count.toLocaleString('en')} traces in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
}

/** The median milliseconds of three runs after a warm-up, and how many rows the last returned. */
async function timed(work: () => Promise<unknown>): Promise<string> {
  let result = await work();
  const times: number[] = [];
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    result = await work();
    times.push((performance.now() - started) / 1000);
  }
  const size = Array.isArray((result as { data?: unknown[] })?.data)
    ? `${(result as { data: unknown[] }).data.length} rows`
    : JSON.stringify(result).slice(0, 40);
  return `${(median(times) * 1000).toFixed(1)} ms (${size})`;
}

async function main() {
  if (!existsSync(path)) await fill();
  if (process.env.BENCH_COPY) {
    // time on a copy: the kept file stays as the older promptune left it
    copyFileSync(path, process.env.BENCH_COPY);
  }
  const opened = performance.now();
  const registry = await Registry.open({ path: process.env.BENCH_COPY ?? path });
  line(`opened (and migrated) in ${((performance.now() - opened) / 1000).toFixed(1)} s`);
  const traces = registry.traces;
  const second = async (filter: Parameters<typeof traces.list>[0]) => {
    const first = await traces.list(filter);
    return traces.list(filter, { after: first.next });
  };
  const cases: [string, () => Promise<unknown>][] = [
    ['score, rare name', () => traces.list({ score: { name: 'rare_flag' } })],
    ['score, rare name, oldest traces only', () => traces.list({ score: { name: 'old_flag' } })],
    ['score, rare name, one key', () => traces.list({ keyId: 'key34', score: { name: 'rare_flag' } })],
    ['score, on 1 in 401 traces', () => traces.list({ score: { name: 'scarce' } })],
    [
      'score, on 1 in 401 traces, one task',
      () => traces.list({ task: taskName(3), score: { name: 'scarce' } }),
    ],
    ['score, on 1 in 399 traces', () => traces.list({ score: { name: 'less_scarce' } })],
    [
      'score, on 1 in 399 traces, one task',
      () => traces.list({ task: taskName(3), score: { name: 'less_scarce' } }),
    ],
    ['score, common name', () => traces.list({ score: { name: 'helpful' } })],
    ['score, common name, second page', () => second({ score: { name: 'helpful' } })],
    ['score, common name, value 0', () => traces.list({ score: { name: 'helpful', maximum: 0 } })],
    ['score, common name, one task', () => traces.list({ task: taskName(7), score: { name: 'helpful' } })],
    ['score, missing name', () => traces.list({ score: { name: 'never_given' } })],
    ['guard, rare validator', () => traces.list({ guardFailed: 'toxicity' })],
    ['guard, common validator', () => traces.list({ guardFailed: 'json' })],
    ['guard, common validator, second page', () => second({ guardFailed: 'json' })],
    ['guard, any validator', () => traces.list({ guardFailed: true })],
    ['guard, any validator, one task', () => traces.list({ task: taskName(7), guardFailed: true })],
    ['guard, never failed', () => traces.list({ guardFailed: 'pii' })],
    ['no filter (floor)', () => traces.list({})],
    ['job ls', () => registry.jobs.list()],
    ['job ls --status failed', () => registry.jobs.list({ status: 'failed' })],
    ['review progress, 20,000 items', () => registry.review.progress('bench')],
  ];
  // BENCH_CASES=score,guard times only the cases whose names start so
  const only = process.env.BENCH_CASES?.split(',');
  const chosen = (name: string) => !only || only.some((start) => name.startsWith(start));
  for (const [name, work] of cases) if (chosen(name)) line(`${name.padEnd(40)} ${await timed(work)}`);
  if (!chosen('prune')) return registry.close();
  // the retention's recurring prune: the cut-off found, nothing (after the first) to delete
  const keep = count - 1000;
  await traces.prune({ keep });
  line(`${'prune keep-count (nothing to delete)'.padEnd(40)} ${await timed(() => traces.prune({ keep }))}`);
  await registry.close();
}

await main();
