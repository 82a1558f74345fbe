// npm run bench:web — the dashboard's weight and speed. (a) The production bundle: what the first page
// loads (index.html's script and stylesheet), raw and gzipped (target <= 300 KB gzipped). (b) Time to
// first render of the traces page on loopback, in Debian's headless Chromium: from navigation start
// (the page's own performance clock) to the first trace row in the DOM, with 100,000 traces stored,
// against the same page over 1,000 traces (the peer: what the page costs when the data is small), and
// the monitor page's first chart over the same traces. Median of BENCH_REPEATS (default 5) fresh loads.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import type { Browser } from 'playwright-core';
import { Registry } from '../src/registry/index.js';
import { createService, dashboardDirectory, listen } from '../src/serve/index.js';
import { launchBrowser } from '../test/browser.js';
import { line, median } from './report.js';
import { syntheticTrace } from './synthetic-traces.js';

const repeats = Number(process.env.BENCH_REPEATS ?? 5);
const stored = Number(process.env.BENCH_TRACES ?? 100_000);

function bundle(directory: string) {
  const html = readFileSync(join(directory, 'index.html'), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((match) => match[1]);
  const sizes = files.map((file) => {
    const bytes = readFileSync(join(directory, file));
    return { file, raw: bytes.length, gzipped: gzipSync(bytes, { level: 9 }).length };
  });
  const all = readdirSync(join(directory, 'assets'));
  return { sizes, unreferenced: all.filter((file) => !files.includes(`assets/${file}`)) };
}

/** A served registry holding `count` traces over the last day, and an admin key. */
async function servedRegistry(count: number, web: string) {
  const registry = await Registry.open({
    path: join(mkdtempSync(join(tmpdir(), 'promptune-bench-web-')), 'r.sqlite'),
  });
  const { key } = await registry.keys.create({ name: 'bench', scopes: ['admin'], ratePerMinute: 1e9 });
  const now = Date.now();
  const step = 86_400_000 / count;
  for (let from = 0; from < count; from += 5000) {
    const batch = Array.from({ length: Math.min(5000, count - from) }, (_, offset) =>
      syntheticTrace(from + offset, Math.round(now - 86_400_000 + (from + offset) * step)),
    );
    await registry.traces.insert(batch);
  }
  const service = createService({
    registry,
    backends: {},
    tracing: false,
    web,
    logger: pino({ level: 'silent' }),
  });
  const server = await listen(service.app);
  return {
    url: server.url,
    key,
    async close() {
      await server.close();
      await service.drain();
      await registry.close();
    },
  };
}

/** Milliseconds from navigation start to the first element matching `selector`, in a fresh tab. */
async function firstRender(browser: Browser, url: string, key: string, route: string, selector: string) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  // the script runs in the page before its own: the key signed in, and the first matching element timed
  await context.addInitScript({
    content: `sessionStorage.setItem('promptune.key', ${JSON.stringify(key)});
      new MutationObserver((_, observer) => {
        if (!document.querySelector(${JSON.stringify(selector)})) return;
        window.rendered = performance.now();
        observer.disconnect();
      }).observe(document, { childList: true, subtree: true });`,
  });
  const page = await context.newPage();
  await page.goto(`${url}/#/${route}`);
  // functions, not strings: the dashboard's content security policy forbids eval
  type Timed = { rendered?: number };
  await page.waitForFunction(() => (globalThis as Timed).rendered !== undefined, null, { timeout: 60_000 });
  const rendered = await page.evaluate(() => (globalThis as Timed).rendered!);
  await context.close();
  return rendered;
}

async function main() {
  const web = dashboardDirectory();
  if (!web) throw new Error('the dashboard is not built: npm run build');
  const { sizes, unreferenced } = bundle(web);
  line('bench:web (a) the production bundle the first page loads');
  for (const size of sizes)
    line(
      `  ${size.file.padEnd(32)} ${(size.raw / 1024).toFixed(1)} KB raw, ${(size.gzipped / 1024).toFixed(1)} KB gzipped`,
    );
  const total = sizes.reduce((sum, size) => sum + size.gzipped, 0);
  line(
    `  first page: ${(total / 1024).toFixed(1)} KB gzipped (target <= 300 KB)${unreferenced.length ? `; not loaded by it: ${unreferenced.join(', ')}` : ''}`,
  );

  const browser = await launchBrowser();
  try {
    line(`bench:web (b) time to first render on loopback, median of ${repeats} fresh loads`);
    const results: Record<string, { traces: number; monitor: number }> = {};
    for (const count of [1000, stored]) {
      const served = await servedRegistry(count, web);
      const traces: number[] = [];
      const charts: number[] = [];
      for (let i = 0; i < repeats; i++) {
        traces.push(
          await firstRender(browser, served.url, served.key, 'traces', '[data-testid="traces"] tbody tr'),
        );
        charts.push(await firstRender(browser, served.url, served.key, 'monitor', '[data-chart] canvas'));
      }
      await served.close();
      results[count] = { traces: median(traces), monitor: median(charts) };
      line(
        `  ${count.toLocaleString('en')} traces: traces page ${median(traces).toFixed(0)} ms (runs ${traces.map((value) => value.toFixed(0)).join(', ')}), monitor page ${median(charts).toFixed(0)} ms`,
      );
    }
    line(
      `  traces page with ${stored.toLocaleString('en')} traces / with 1,000: ${(results[stored].traces / results[1000].traces).toFixed(2)}x (target: first render <= 1000 ms)`,
    );
  } finally {
    await browser.close();
  }
}

await main();
