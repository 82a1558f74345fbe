// Alerting inside the service, end to end: a rule over the error rate of real traffic (stories260K on
// the engine), evaluated on its interval, fires when requests fail, is delivered to a real HTTP receiver
// on 127.0.0.1, shows in /metrics and GET /v1/alerts, and resolves (delivered too) once the failures
// leave the window. The registry keeps both events. A second service on the same registry and rules (a
// replica) evaluates too, and every move is still notified and recorded once.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stories } from '../../test/models.js';
import { startReceiver, type WebhookReceiver } from '../observe/alerts/webhook-receiver.case.js';
import { parseAlertRules } from '../observe/index.js';
import { Registry } from '../registry/index.js';
import { taskSpec } from '../tasks/spec.js';
import { EngineClient } from './engine-client.js';
import { listen, type RunningServer } from './listen.js';
import { createService, type Service } from './service.js';

const actor = { name: 'test', scopes: ['read', 'run', 'admin'] };
let registry: Registry;
let engine: EngineClient;
let server: RunningServer;
let service: Service;
let replica: Service;
let receiver: WebhookReceiver;
let key = '';

beforeAll(async () => {
  registry = await Registry.open({
    path: join(mkdtempSync(join(tmpdir(), 'promptune-alerts-')), 'registry.sqlite'),
  });
  await registry.putTask(taskSpec.parse({ name: 'story', prompt: { template: '{{input}}' } }));
  await registry.pushVersion({ task: 'story', kind: 'hard', content: { template: '{{input}}' }, actor });
  key = (await registry.keys.create({ name: 'ops', scopes: ['run', 'read'], ratePerMinute: 1e6 })).key;
  receiver = await startReceiver();
  const rules = parseAlertRules(
    `interval: 200ms
webhooks:
  - url: ${receiver.url}
rules:
  - name: story-errors
    task: story
    metric: error_rate
    window: 2s
    comparison: ">"
    threshold: 0.5
    minCount: 5
    severity: critical
`,
    'alerts.yaml',
  );
  engine = await EngineClient.start(stories.gguf);
  service = createService({
    registry,
    backends: { engine, hard: engine.languageModel() },
    alerts: { rules },
    logger: pino({ level: 'silent' }),
  });
  server = await listen(service.app);
  replica = createService({
    registry,
    backends: { engine, hard: engine.languageModel() },
    alerts: { rules },
    logger: pino({ level: 'silent' }),
  });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await service?.drain();
  await replica?.drain();
  await engine?.close();
  await receiver?.close();
  await registry?.close();
});

const request = (content: string) =>
  fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'story', messages: [{ role: 'user', content }], max_tokens: 1 }),
  });

describe('alerts in the service', () => {
  it('fires on failing traffic, delivers to a webhook, and resolves when the failures leave the window', async () => {
    // failures: inputs longer than stories260K's context, each a 400 CONTEXT_OVERFLOW of the task
    for (let i = 0; i < 10; i++) expect((await request('Once upon a time '.repeat(600))).status).toBe(400);
    const [firing] = await receiver.waitFor(1);
    expect(firing.path).toBe('/hook');
    expect(firing.body).toMatchObject({
      rule: 'story-errors',
      state: 'firing',
      severity: 'critical',
      threshold: 0.5,
    });
    expect((firing.body as { value: number }).value).toBe(1);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/promptune_alert_firing\{rule="story-errors",severity="critical"\} 1/);
    const listed = (await (
      await fetch(`${server.url}/v1/alerts`, { headers: { authorization: `Bearer ${key}` } })
    ).json()) as { rules: { name: string; webhooks: unknown; status: { state: string } }[] };
    expect(listed.rules[0]).toMatchObject({ name: 'story-errors', webhooks: 1, status: { state: 'firing' } });

    // healthy traffic while the failures age out of the 2 s window
    const healthyUntil = Date.now() + 2600;
    while (Date.now() < healthyUntil) {
      expect((await request('Once')).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const [, resolved] = await receiver.waitFor(2);
    expect(resolved.body).toMatchObject({ rule: 'story-errors', state: 'resolved' });
    // the replica's evaluations meanwhile sent nothing more
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(receiver.received.map((received) => (received.body as { state: string }).state)).toEqual([
      'firing',
      'resolved',
    ]);
    expect((await registry.alerts.history({ rule: 'story-errors' })).map((event) => event.state)).toEqual([
      'resolved',
      'firing',
    ]);
  }, 60_000);
});
