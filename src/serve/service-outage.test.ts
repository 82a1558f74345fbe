// The service through a restart of its Postgres registry, on 127.0.0.1 with stories260K on the engine:
// while the database is away, a key and a label it served a moment before go on answering (what it last
// knew, for up to ten minutes), the requests' traces wait in the queue, and once it is back they are
// written, every one; a key it never saw is refused as unavailable, not let in.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresBinaries, startPostgres, type TestPostgres } from '../../test/postgres.js';
import { stories } from '../../test/models.js';
import { Registry } from '../registry/index.js';
import { taskSpec } from '../tasks/index.js';
import { EngineClient } from './engine-client.js';
import { listen, type RunningServer } from './listen.js';
import { createService, type Service } from './service.js';

const installed = postgresBinaries() !== undefined;
const actor = { name: 'test', scopes: ['read', 'run', 'admin'] };

describe.skipIf(!installed && process.env.PROMPTUNE_REQUIRE_POSTGRES !== '1')(
  'the service through a Postgres restart',
  () => {
    let postgres: TestPostgres;
    let registry: Registry;
    let engine: EngineClient;
    let service: Service;
    let server: RunningServer;
    let key = '';
    const logged: { msg: string; err?: unknown }[] = [];
    const quiet = pino({ level: 'silent' });

    beforeAll(async () => {
      postgres = await startPostgres();
      registry = await Registry.open({ url: postgres.url });
      await registry.putTask(taskSpec.parse({ name: 'story', prompt: { template: '{{input}}' } }));
      const { version } = await registry.pushVersion({
        task: 'story',
        kind: 'hard',
        content: { template: '{{input}}' },
        actor,
      });
      await registry.setLabel({
        task: 'story',
        label: 'production',
        reference: version.id,
        actor,
        reason: 'test',
      });
      key = (await registry.keys.create({ name: 'app', scopes: ['run', 'read'], ratePerMinute: 1e7 })).key;
      engine = await EngineClient.start(stories.gguf);
      service = createService({
        registry,
        backends: { engine, hard: engine.languageModel() },
        logger: pino({ level: 'warn' }, { write: (line: string) => logged.push(JSON.parse(line)) }),
      });
      server = await listen(service.app);
    }, 120_000);
    afterAll(async () => {
      await server?.close();
      await service?.drain();
      await engine?.close();
      await registry?.close();
      postgres?.stop();
    });

    const ask = async (secret: string, content: string) => {
      const response = await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'story', messages: [{ role: 'user', content }], max_tokens: 4 }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- read loosely
    };

    it('answers what it served a moment before, keeps the traces, and writes them once the database is back', async () => {
      const before = await ask(key, 'Once');
      expect(before.status).toBe(200);
      postgres.pause();
      try {
        // the service has noticed: its readiness says the registry is unreachable, but it stays ready
        // (degraded) while it serves what it last knew, or a load balancer would take every replica out
        let ready: { status: number; body: Record<string, unknown> } = { status: 0, body: {} };
        for (let wait = 0; wait < 100 && ready.body.registry !== 'unreachable'; wait++) {
          const response = await fetch(`${server.url}/ready`);
          ready = { status: response.status, body: (await response.json()) as Record<string, unknown> };
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(ready).toMatchObject({ status: 200, body: { status: 'degraded', registry: 'unreachable' } });
        // a replica that has resolved nothing yet has nothing to serve: not ready
        const fresh = createService({
          registry,
          backends: {},
          tracing: false,
          experiments: false,
          logger: quiet,
        });
        const freshReady = await fresh.app.request('/ready');
        expect([freshReady.status, await freshReady.json()]).toEqual([
          503,
          { status: 'unavailable', registry: 'unreachable' },
        ]);
        await fresh.drain();
        // and its metrics say so, without job counts no one could read
        const scrape = await (await fetch(`${server.url}/metrics`)).text();
        expect(scrape).toMatch(/^promptune_registry_up 0$/m);
        expect(scrape).toMatch(/^promptune_jobs_silent nan$/im);
        expect(scrape).not.toMatch(/^promptune_jobs\{/m);
        const during = await Promise.all(['Once', 'Lily', 'The'].map((content) => ask(key, content)));
        expect(during.map((answer) => answer.status)).toEqual([200, 200, 200]);
        expect(during[0].body.choices[0].message.content).toBe(before.body.choices[0].message.content);
        // a key it never verified cannot be checked now: unavailable, not let in
        const stranger = await ask(`pt_0123456789ab_${'x'.repeat(43)}`, 'Once');
        expect([stranger.status, stranger.body.error.code]).toEqual([503, 'REGISTRY_UNAVAILABLE']);
        expect(service.recorder!.stats).toMatchObject({ failed: 0 });
        expect(service.recorder!.stats.queued).toBeGreaterThanOrEqual(3);
      } finally {
        postgres.resume();
      }
      for (let wait = 0; wait < 100 && service.recorder!.stats.queued > 0; wait++)
        await new Promise((resolve) => setTimeout(resolve, 200));
      const scrape = await (await fetch(`${server.url}/metrics`)).text();
      expect(scrape).toMatch(/^promptune_registry_up 1$/m);
      expect(scrape).toMatch(/^promptune_jobs\{status="/m);
      expect(await (await fetch(`${server.url}/ready`)).json()).toMatchObject({
        status: 'ready',
        registry: 'ok',
      });
      expect(service.recorder!.stats).toMatchObject({ queued: 0, failed: 0 });
      const ids = [before.body.id as string];
      expect((await registry.traces.get(ids[0])).status).toBe(200);
      expect(await registry.traces.count({ task: 'story' })).toBeGreaterThanOrEqual(4);
      // the outage is said once per kind of work, without a stack, however often each met it
      const said = logged.filter((line) => line.msg.includes("the registry's database is unreachable"));
      expect(said.length).toBeGreaterThan(0);
      expect(new Set(said.map((line) => line.msg)).size).toBe(said.length);
      expect(said.filter((line) => line.err !== undefined)).toEqual([]);
    });
  },
);
