// npm run bench:eval — the evaluation harness's own cost per example, against a stub
// OpenAI-compatible server on 127.0.0.1 that answers after a fixed latency. For each concurrency
// (1, 8, 64): the same calls made directly through the AI SDK provider (the floor), then through
// evaluate() with a cold cache (miss) and again with a warm one (hit). Overhead per example =
// (harness time - direct time) / examples on a miss; harness time / examples on a hit. Target ≤ 1 ms at 64.
import { Hono } from 'hono';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluate, ResponseCache } from '../src/eval/index.js';
import { resolveModel } from '../src/providers/index.js';
import { listen } from '../src/serve/listen.js';
import { taskFromObject } from '../src/tasks/load-task.js';
import type { Example } from '../src/tasks/dataset.js';
import { line } from './report.js';

const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? 20);
const count = Number(process.env.BENCH_EXAMPLES ?? 512);

const stub = new Hono();
stub.post('/v1/chat/completions', async (context) => {
  const body = await context.req.json();
  await new Promise((resolve) => setTimeout(resolve, latencyMs));
  const text = String(body.messages.at(-1).content).split(' ')[1] ?? 'x';
  return context.json({
    id: 'bench',
    object: 'chat.completion',
    created: 0,
    model: body.model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 8, completion_tokens: 1, total_tokens: 9 },
  });
});
const server = await listen(stub);
const model = await resolveModel(`openai-compatible:${server.url}/v1#stub`);
const task = taskFromObject(
  { name: 'bench', prompt: { template: 'Echo: {{input}}' }, metrics: [{ name: 'exact-match' }] },
  'bench',
);
const examples: Example[] = Array.from({ length: count }, (_, i) => ({
  index: i,
  line: i + 1,
  fields: { input: `word${i} rest` },
  target: `word${i}`,
  id: `e${i}`,
}));

async function direct(concurrency: number, subset: Example[]): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < subset.length) {
        const example = subset[next++];
        await model.model.doGenerate({
          prompt: [{ role: 'user', content: [{ type: 'text', text: `Echo: ${example.fields.input}` }] }],
          maxOutputTokens: 64,
          temperature: 0,
          seed: 0,
        });
      }
    }),
  );
  return performance.now() - start;
}

line(`stub latency ${latencyMs} ms, ${count} examples`);
await direct(8, examples.slice(0, 32)); // warm-up: connections, JIT
for (const concurrency of [1, 8, 64]) {
  const examplesHere = concurrency === 1 ? examples.slice(0, 64) : examples;
  const n = examplesHere.length;
  const state = mkdtempSync(join(tmpdir(), 'promptune-bench-eval-'));
  const cache = new ResponseCache(join(state, 'cache.sqlite'));
  const floor = await direct(concurrency, examplesHere);
  let start = performance.now();
  const miss = await evaluate({
    task,
    split: 'test',
    examples: examplesHere,
    model,
    concurrency,
    cache,
    stateDirectory: state,
  });
  const missMs = performance.now() - start;
  start = performance.now();
  const hit = await evaluate({
    task,
    split: 'test',
    examples: examplesHere,
    model,
    concurrency,
    cache,
    stateDirectory: state,
  });
  const hitMs = performance.now() - start;
  cache.close();
  if (miss.calls !== n || hit.calls !== 0)
    throw new Error(`unexpected call counts ${miss.calls}/${hit.calls}`);
  const overheadMiss = (missMs - floor) / n;
  const overheadHit = hitMs / n;
  line(
    `concurrency ${concurrency}: direct ${(floor / n).toFixed(2)} ms/example, harness miss ${(missMs / n).toFixed(2)} ms/example (overhead ${overheadMiss.toFixed(3)} ms), hit ${overheadHit.toFixed(3)} ms/example`,
  );
  if (concurrency === 64)
    line(
      `overhead at concurrency 64 (miss) vs the 1 ms target: ${(overheadMiss / 1).toFixed(2)}x of budget; hit: ${(overheadHit / 1).toFixed(2)}x of budget`,
    );
}
await server.close();
