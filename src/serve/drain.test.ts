// A draining service over a real HTTP server on 127.0.0.1 and a SQLite registry: while a request is in
// flight, drain says not ready ("draining") to a probe, the request still completes and its answer
// closes its kept-alive connection, and drain resolves only after it.
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Registry } from '../registry/index.js';
import { pushPassthroughTask } from '../../test/passthrough-task.js';
import { listen, type RunningServer } from './listen.js';
import { createService } from './service.js';

const folder = mkdtempSync(join(tmpdir(), 'promptune-drain-'));
let registry: Registry;
let server: RunningServer | undefined;
let key = '';

/** A hard backend whose answers wait until `release` is called (the request in flight). */
function heldModel() {
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  let started = false;
  const model: LanguageModelV3 = {
    specificationVersion: 'v3',
    provider: 'test.held',
    modelId: 'held',
    supportedUrls: {},
    async doGenerate() {
      started = true;
      await released;
      return {
        content: [{ type: 'text', text: 'done' }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: {
          inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
          outputTokens: { total: 1, text: 1, reasoning: undefined },
        },
        warnings: [],
      };
    },
    async doStream() {
      throw new Error('not used');
    },
  };
  return { model, release, started: () => started };
}

beforeAll(async () => {
  registry = await Registry.open({ path: join(folder, 'registry.sqlite') });
  await pushPassthroughTask(registry, { actor: { name: 'test', scopes: ['admin'] } });
  key = (await registry.keys.create({ name: 'caller', scopes: ['run'], ratePerMinute: 1e6 })).key;
});
afterAll(async () => {
  await server?.close();
  await registry?.close();
});

describe('a draining service', () => {
  it('says draining on /ready while a request finishes, closes that answer’s connection, then drains', async () => {
    const held = heldModel();
    const service = createService({
      registry,
      backends: { hard: held.model },
      logger: pino({ level: 'silent' }),
    });
    server = await listen(service.app);
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);

    const answer = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'story', messages: [{ role: 'user', content: 'Once' }] }),
    });
    await vi.waitFor(() => expect(held.started()).toBe(true));
    let drained = false;
    const draining = service.drain().then(() => (drained = true));

    const ready = await fetch(`${server.url}/ready`);
    expect([ready.status, await ready.json()]).toEqual([503, { status: 'draining' }]);
    expect(drained).toBe(false);

    held.release();
    const response = await answer;
    expect(response.status).toBe(200);
    expect(response.headers.get('connection')).toBe('close');
    expect(
      ((await response.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content,
    ).toBe('done');
    await draining;
    expect(drained).toBe(true);
  });
});
