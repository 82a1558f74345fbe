import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseAlertRules, type AlertWebhook } from './alert-rules.js';
import type { AlertNotification } from './alert-types.js';
import { WebhookDelivery, type WebhookDeliveryOptions, type WebhookFailure } from './webhook-delivery.js';
import { closedPortUrl, startReceiver, type WebhookReceiver } from './webhook-receiver.case.js';

const [rule] = parseAlertRules(
  'rules: [{ name: errors, task: qa, metric: error_rate, window: 5m, comparison: ">", threshold: 0.05, severity: critical }]',
  'alerts.yaml',
).rules;
const at = Date.parse('2025-01-01T12:00:00Z');

function notification(
  webhooks: AlertWebhook[],
  changes: Partial<AlertNotification['event']> = {},
): AlertNotification {
  return {
    rule,
    webhooks,
    event: {
      rule: 'errors',
      state: 'firing',
      value: 0.125,
      count: 40,
      threshold: 0.05,
      at,
      severity: 'critical',
      ...changes,
    },
  };
}

const hook = (url: string, headers: Record<string, string> = {}): AlertWebhook => ({ url, headers });

const receivers: WebhookReceiver[] = [];
async function receiver(...parameters: Parameters<typeof startReceiver>): Promise<WebhookReceiver> {
  const started = await startReceiver(...parameters);
  receivers.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((started) => started.close()));
});

/** A delivery whose waits are recorded and skipped, with jitter fixed at half. */
function delivery(options: WebhookDeliveryOptions = {}) {
  const waits: number[] = [];
  const failures: WebhookFailure[] = [];
  const sender = new WebhookDelivery({
    sleep: async (milliseconds) => {
      waits.push(milliseconds);
    },
    random: () => 0.5,
    onFailure: (failure) => failures.push(failure),
    ...options,
  });
  return { sender, waits, failures };
}

describe('WebhookDelivery', () => {
  it('POSTs the JSON payload with its headers to every webhook of the notification', async () => {
    const first = await receiver();
    const second = await receiver();
    const { sender } = delivery();
    sender.send(notification([hook(first.url, { Authorization: 'Bearer secret' }), hook(second.url)]));
    await sender.drain();
    const [request] = first.received;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/hook');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toBe('promptune-alerts');
    expect(request.headers.authorization).toBe('Bearer secret');
    expect(request.body).toEqual({
      rule: 'errors',
      state: 'firing',
      value: 0.125,
      count: 40,
      threshold: 0.05,
      severity: 'critical',
      at: '2025-01-01T12:00:00.000Z',
      task: 'qa',
      summary:
        '[critical] errors firing: error_rate of task qa is 0.125 (> 0.05) over the last 5m, 40 requests',
    });
    expect(second.received.map((received) => received.body)).toEqual([request.body]);
    expect(second.received[0].headers.authorization).toBeUndefined();
    expect(sender.counters).toEqual({ delivered: 2, failed: 0, dropped: 0, retried: 0 });
  });

  it('retries a 503, then delivers', async () => {
    const flaky = await receiver([503]);
    const { sender, waits, failures } = delivery();
    sender.send(notification([hook(flaky.url)]));
    await sender.drain();
    expect(flaky.received).toHaveLength(2);
    expect(flaky.received[1].body).toEqual(flaky.received[0].body);
    expect(waits).toEqual([375]); // half of 500 ms, plus half of the other half (random 0.5)
    expect(failures).toEqual([]);
    expect(sender.counters).toEqual({ delivered: 1, failed: 0, dropped: 0, retried: 1 });
  });

  it('backs off exponentially up to the cap, and waits as long as a 429 asks', async () => {
    const busy = await receiver([500, 502, 504, 503, { status: 429, headers: { 'retry-after': '7' } }]);
    const { sender, waits } = delivery({ attempts: 6, baseDelay: 1000, maxDelay: 6000 });
    sender.send(notification([hook(busy.url)]));
    await sender.drain();
    expect(waits).toEqual([750, 1500, 3000, 4500, 6000]);
    expect(sender.counters).toEqual({ delivered: 1, failed: 0, dropped: 0, retried: 5 });
  });

  it('does not retry a 400', async () => {
    const refusing = await receiver([{ status: 400, body: 'unknown channel' }]);
    const { sender, waits, failures } = delivery();
    sender.send(notification([hook(refusing.url)]));
    await sender.drain();
    expect(refusing.received).toHaveLength(1);
    expect(waits).toEqual([]);
    expect(failures).toEqual([
      {
        url: refusing.url,
        rule: 'errors',
        state: 'firing',
        attempts: 1,
        reason: 'HTTP 400: unknown channel',
      },
    ]);
    expect(sender.counters).toEqual({ delivered: 0, failed: 1, dropped: 0, retried: 0 });
  });

  it('gives up on a receiver that does not answer within the timeout, after the attempts', async () => {
    const silent = await receiver([], 'hang');
    // Long enough for each POST to reach the receiver on a loaded machine (at 50 ms CI's second POST
    // was aborted before the receiver had read it), short enough to keep the test quick.
    const { sender, failures } = delivery({ timeout: 500, attempts: 2 });
    sender.send(notification([hook(silent.url)]));
    await sender.drain();
    expect(silent.received).toHaveLength(2);
    expect(failures.map((failure) => [failure.attempts, failure.reason])).toEqual([
      [2, 'no answer within 500 ms'],
    ]);
    expect(sender.counters).toEqual({ delivered: 0, failed: 1, dropped: 0, retried: 1 });
  });

  it('counts a closed port as failed after the attempts', async () => {
    const url = await closedPortUrl();
    const { sender, failures, waits } = delivery({ attempts: 3 });
    sender.send(notification([hook(url)]));
    await sender.drain();
    expect(waits).toHaveLength(2);
    expect(failures).toHaveLength(1);
    expect(failures[0].attempts).toBe(3);
    expect(failures[0].reason).toMatch(/ECONNREFUSED/);
    expect(sender.counters).toEqual({ delivered: 0, failed: 1, dropped: 0, retried: 2 });
  });

  it('drains everything queued, in order per webhook', async () => {
    const target = await receiver([503]);
    const { sender } = delivery();
    for (let i = 0; i < 5; i++) sender.send(notification([hook(target.url)], { count: i }));
    expect(sender.queued).toBe(5);
    await sender.drain();
    expect(sender.queued).toBe(0);
    expect(target.received.map((received) => (received.body as { count: number }).count)).toEqual([
      0, 0, 1, 2, 3, 4,
    ]);
    expect(sender.counters).toEqual({ delivered: 5, failed: 0, dropped: 0, retried: 1 });
    await sender.drain(); // nothing queued: resolves at once
  });

  it('drops and counts what a full queue cannot hold', async () => {
    const target = await receiver();
    const { sender } = delivery({ queueSize: 2 });
    for (let i = 0; i < 5; i++) sender.send(notification([hook(target.url)], { count: i }));
    await sender.drain();
    expect(target.received.map((received) => (received.body as { count: number }).count)).toEqual([0, 1]);
    expect(sender.counters).toEqual({ delivered: 2, failed: 0, dropped: 3, retried: 0 });
  });

  it('keeps delivering to one webhook while another is retrying', async () => {
    const healthy = await receiver();
    const dead = await closedPortUrl();
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { sender } = delivery({ sleep: () => gate, attempts: 2 });
    sender.send(notification([hook(dead)]));
    sender.send(notification([hook(healthy.url)]));
    await vi.waitFor(() => expect(sender.counters).toMatchObject({ delivered: 1, failed: 0 }));
    expect(healthy.received).toHaveLength(1);
    release();
    await sender.drain();
    expect(sender.counters).toEqual({ delivered: 1, failed: 1, dropped: 0, retried: 1 });
  });

  it('sends a resolved notification without a value as null, with its detail', async () => {
    const target = await receiver();
    const { sender } = delivery();
    sender.send(
      notification([hook(target.url)], {
        state: 'resolved',
        value: undefined,
        count: 0,
        detail: { feature: 'x' },
      }),
    );
    await sender.drain();
    expect(target.received[0].body).toMatchObject({
      state: 'resolved',
      value: null,
      detail: { feature: 'x' },
      summary:
        '[critical] errors resolved: error_rate of task qa is unknown (no longer > 0.05) over the last 5m, 0 requests',
    });
  });

  it('fails a webhook whose headers HTTP cannot carry, without retrying', async () => {
    const target = await receiver();
    const { sender, failures, waits } = delivery();
    sender.send(notification([hook(target.url, { Authorization: 'Bearer a\nb' })]));
    await sender.drain();
    expect(target.received).toHaveLength(0);
    expect(waits).toEqual([]);
    expect(failures[0].reason).toMatch(/^invalid headers: /);
    expect(sender.counters).toEqual({ delivered: 0, failed: 1, dropped: 0, retried: 0 });
  });

  it('does nothing for a notification without webhooks', async () => {
    const { sender } = delivery();
    sender.send(notification([]));
    await sender.drain();
    expect(sender.counters).toEqual({ delivered: 0, failed: 0, dropped: 0, retried: 0 });
  });
});
