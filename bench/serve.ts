// npm run bench:serve — (a) the service's own latency: an open-loop generator (bench/open-loop.ts)
// sends 500 requests/s, evenly spaced, for a few seconds at a stub OpenAI-compatible upstream directly,
// then at the service (key check, registry resolution, prompt rendering, the upstream call, metrics),
// both in a process of its own (bench/serve-target.ts); latency counts from each request's due time;
// overhead = service minus direct, at p50 and p99 (target p99 <= 5 ms). autocannon then measures each
// path's closed-loop capacity, for scale. (b) the local engine with 8 concurrent requests for 8 tasks
// with different soft prompts on a random model of SmolLM2-135M's shape: mixed-batched (one batch) vs
// one task at a time, in generated tokens per second (median of three runs), and the ratio (target >= 3x);
// then the same with 8 different LoRA adapters (rank 16 on every projection) in place of the soft prompts.
// (c) the engine's prompt prefix cache: requests sharing a long prompt start, with and without it.
import autocannon from 'autocannon';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultKernels, loadModel, LlamaModel, seededRandom, writeGguf } from '../src/engine/index.js';
import { initLoraAdapter, saveLoraAdapter } from '../src/soft/lora-adapter.js';
import { saveAdapter } from '../src/soft/peft-adapter.js';
import { initSoftPrompt } from '../src/soft/soft-prompt.js';
import { EngineClient } from '../src/serve/engine-client.js';
import { randomModel, smolLm2Shape, syntheticVocabulary } from './random-model.js';
import { openLoop, quantile, type OpenLoopResult } from './open-loop.js';
import { line } from './report.js';
import { startServeTarget } from './serve-processes.js';

const here = dirname(fileURLToPath(import.meta.url));
const rate = Number(process.env.BENCH_RATE ?? 500);
const seconds = Number(process.env.BENCH_SECONDS ?? 8);

async function overhead() {
  const stub = startServeTarget();
  const { upstream } = await stub.ready;
  const target = startServeTarget(upstream);
  const { service, key } = await target.ready;
  const body = JSON.stringify({
    model: 'echo',
    messages: [{ role: 'user', content: 'hello there' }],
    max_tokens: 8,
  });
  const paths = {
    direct: { url: `${upstream}/v1/chat/completions`, headers: { 'content-type': 'application/json' } },
    service: {
      url: `${service}/v1/chat/completions`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    },
  };
  for (const name of ['direct', 'service'] as const)
    await openLoop({ ...paths[name], body, rate, seconds: 6 }); // warm-up (JIT, first old-generation collections)
  // alternate the two paths three times and report each one's median run (2 cores: runs vary)
  const runs: Record<keyof typeof paths, OpenLoopResult[]> = { direct: [], service: [] };
  for (let round = 0; round < 3; round++) {
    for (const name of ['direct', 'service'] as const) {
      runs[name].push(await openLoop({ ...paths[name], body, rate, seconds }));
    }
  }
  // closed loop, for scale: how many requests/s each path answers with 32 in flight
  const capacity = async (name: keyof typeof paths) => {
    const result = await autocannon({ ...paths[name], method: 'POST', body, connections: 32, duration: 4 });
    return `${Math.round(result.requests.average)} requests/s (p99 ${result.latency.p99} ms, non-2xx ${result.non2xx})`;
  };
  const closedLoop = { direct: await capacity('direct'), service: await capacity('service') };
  target.child.kill('SIGTERM');
  stub.child.kill('SIGTERM');
  const median = (name: keyof typeof paths, q: number) =>
    runs[name].map((run) => quantile(run.latencies, q)).sort((a, b) => a - b)[1];
  line(
    `(a) service overhead, open loop at ${rate} requests/s (bench/open-loop.ts), 3 x ${seconds} s per path, alternating`,
  );
  for (const name of ['direct', 'service'] as const) {
    const each = runs[name];
    line(
      `${name.padEnd(9)} latency p50 ${median(name, 0.5).toFixed(2)} ms, p99 ${median(name, 0.99).toFixed(2)} ms` +
        ` (p99 of each run: ${each.map((run) => quantile(run.latencies, 0.99).toFixed(2)).join(', ')};` +
        ` sent ${each.map((run) => run.sentRate.toFixed(0)).join(', ')} requests/s,` +
        ` generator late p99 ${each.map((run) => quantile(run.lateness, 0.99).toFixed(2)).join(', ')} ms),` +
        ` failures ${each.reduce((sum, run) => sum + run.failures, 0)}`,
    );
  }
  line(
    `    overhead (medians): p50 ${(median('service', 0.5) - median('direct', 0.5)).toFixed(2)} ms, p99 ${(median('service', 0.99) - median('direct', 0.99)).toFixed(2)} ms (target p99 <= 5 ms)`,
  );
  line(
    `    closed loop, 32 connections (autocannon): direct ${closedLoop.direct}; service ${closedLoop.service}`,
  );
}

/** The random model of SmolLM2-135M's shape the engine parts run on, written once. */
function benchModel(): string {
  const work = join(here, '.out', 'serve');
  mkdirSync(work, { recursive: true });
  const modelPath = join(work, 'random-smollm2-shape-f32.gguf');
  if (!existsSync(modelPath)) {
    const random: LlamaModel = randomModel(smolLm2Shape, defaultKernels());
    writeGguf(modelPath, random.config, random.weights, {
      metadata: syntheticVocabulary(random.config.vocabularySize),
      name: 'random SmolLM2-135M shape',
    });
  }
  return modelPath;
}

async function batching(kind: 'soft' | 'lora') {
  const modelPath = benchModel();
  // the adapters are made for the model as the engine loads it (GGUF stores Q/K permuted)
  const { model } = await loadModel(modelPath);
  const adapters = mkdtempSync(join(tmpdir(), 'promptune-bench-adapters-'));
  const sources = Array.from({ length: 8 }, (_, i) => {
    const directory = join(adapters, `task-${i}`);
    const random = seededRandom(i + 1);
    if (kind === 'soft') {
      const prompt = initSoftPrompt(model, undefined as never, 20, { kind: 'normal' }, random);
      saveAdapter(directory, prompt, model, { baseModelName: 'random' });
    } else {
      const adapter = initLoraAdapter(model, { rank: 16 }, random);
      // a trained B is not zero (a zero one would be skipped by nothing, but says nothing either)
      for (const layer of adapter.layers)
        for (const pair of Object.values(layer))
          for (let j = 0; j < pair.b.length; j++) pair.b[j] = (random() - 0.5) * 0.02;
      saveLoraAdapter(directory, adapter, model, { baseModelName: 'random', alpha: 32 });
    }
    return {
      key: `task-${i}`,
      files: {
        config: JSON.parse(readFileSync(join(directory, 'adapter_config.json'), 'utf8')),
        metadata: JSON.parse(readFileSync(join(directory, 'promptune.json'), 'utf8')),
        safetensors: readFileSync(join(directory, 'adapter_model.safetensors')),
      },
    };
  });
  const newTokens = 48;
  const measure = async (maxBatch: number) => {
    const engine = await EngineClient.start(modelPath, {
      maxBatch,
      adapterDirectory: join(adapters, `cache-${kind}-${maxBatch}`),
    });
    const request = (i: number) =>
      engine.generate({
        prompt: [
          {
            role: 'user',
            content: [{ type: 'text', text: `t${300 + i} t${400 + i} t${500 + i} t${600 + i}` }],
          },
        ],
        raw: true,
        softPrompt: sources[i],
        options: { maxTokens: newTokens, stop: [], temperature: 0 },
      });
    await Promise.all(sources.map((_, i) => request(i))); // warm-up: prefixes computed, caches allocated
    const runs: { elapsed: number; results: Awaited<ReturnType<typeof request>>[] }[] = [];
    for (let repeat = 0; repeat < 3; repeat++) {
      const start = performance.now();
      const results = await Promise.all(sources.map((_, i) => request(i)));
      runs.push({ elapsed: (performance.now() - start) / 1000, results });
    }
    await engine.close();
    const { elapsed, results } = runs.sort((a, b) => a.elapsed - b.elapsed)[1]; // the median of three
    const tokens = results.reduce((sum, result) => sum + result.outputTokens, 0);
    return {
      tokensPerSecond: tokens / elapsed,
      elapsed,
      batch: Math.max(...results.map((result) => result.batchSize)),
    };
  };
  const together = await measure(8);
  const alone = await measure(1);
  rmSync(adapters, { recursive: true, force: true }); // 8 adapters and their caches: 449 MB with LoRA
  line(
    `(b) 8 concurrent requests, 8 tasks with different ${kind === 'soft' ? 'soft prompts (20 virtual tokens)' : 'LoRA adapters (rank 16 on q, k, v, o, gate, up, down)'}, ${newTokens} new tokens each, random SmolLM2-135M-shape model`,
  );
  line(
    `    mixed-batched: ${together.tokensPerSecond.toFixed(1)} tokens/s (${together.elapsed.toFixed(2)} s, batch ${together.batch})`,
  );
  line(
    `    one at a time: ${alone.tokensPerSecond.toFixed(1)} tokens/s (${alone.elapsed.toFixed(2)} s, batch ${alone.batch})`,
  );
  line(`    ratio ${(together.tokensPerSecond / alone.tokensPerSecond).toFixed(2)}x (target >= 3x)`);
}

/**
 * (c) Requests that share a long prompt start (a task's instruction and demos) one after another, on
 * an engine that keeps prompt prefixes and on one that does not: seconds per request and the ratio.
 */
async function prefixReuse() {
  const modelPath = benchModel();
  const shared = Array.from({ length: 60 }, (_, i) => `t${1000 + i}`).join(' ');
  const measure = async (prefixCacheBytes: number) => {
    const engine = await EngineClient.start(modelPath, { prefixCacheBytes });
    const seconds: number[] = [];
    let promptTokens = 0;
    let cachedTokens = 0;
    for (let i = 0; i < 9; i++) {
      const start = performance.now();
      const result = await engine.generate({
        prompt: [{ role: 'user', content: [{ type: 'text', text: `${shared} t${300 + i} t${400 + i}` }] }],
        raw: true,
        options: { maxTokens: 8, stop: [], temperature: 0 },
      });
      if (i > 0) seconds.push((performance.now() - start) / 1000); // the first one fills the cache
      promptTokens = result.inputTokens;
      cachedTokens += result.cachedTokens;
    }
    await engine.close();
    return { mean: seconds.reduce((a, b) => a + b, 0) / seconds.length, promptTokens, cachedTokens };
  };
  const reused = await measure(256 * 1024 * 1024);
  const fresh = await measure(0);
  line(
    `(c) 8 requests in a row sharing a ${reused.promptTokens}-token prompt up to their last few tokens, 8 new tokens each, same model`,
  );
  line(
    `    prefix cache: ${reused.mean.toFixed(3)} s per request (${reused.cachedTokens} prompt tokens read from the cache in all)`,
  );
  line(`    no prefix cache: ${fresh.mean.toFixed(3)} s per request`);
  line(`    ratio ${(fresh.mean / reused.mean).toFixed(2)}x`);
}

// BENCH_ONLY=a|b|c runs one part (b: both batching lines)
const only = process.env.BENCH_ONLY;
if (!only || only === 'a') await overhead();
if (!only || only === 'b') {
  await batching('soft');
  await batching('lora');
}
if (!only || only === 'c') await prefixReuse();
