// Sends alert notifications to webhooks in the background: `send` queues and returns at once (a full
// queue drops and counts), one worker per webhook URL POSTs in order, so a dead receiver delays only
// its own notifications, retrying network errors, timeouts, 429 and 5xx with exponential backoff and
// jitter. It does not persist its queue: notifications queued when the process dies are lost (the
// store's history still has every event).
import type { AlertNotification } from './alert-types.js';
import type { AlertWebhook } from './alert-rules.js';
import { webhookPayload } from './webhook-payload.js';

/** How WebhookDelivery queues, waits and retries. */
export interface WebhookDeliveryOptions {
  /** POSTs waiting at most (one per notification and webhook); more are dropped. Default 1000. */
  queueSize?: number;
  /** How long one attempt may take, in ms. Default 5000. */
  timeout?: number;
  /** Attempts per POST, the first included. Default 5. */
  attempts?: number;
  /** The first retry waits about this long (ms), each next one twice as long. Default 500. */
  baseDelay?: number;
  /** The longest wait between attempts (ms), also for a receiver's Retry-After. Default 30000. */
  maxDelay?: number;
  /** Waits between attempts; injected in tests. */
  sleep?: (milliseconds: number) => Promise<void>;
  /** Jitter in [0, 1); injected in tests. */
  random?: () => number;
  /** Told about each POST given up on (after its attempts, or at once for a 4xx). */
  onFailure?: (failure: WebhookFailure) => void;
}

/** A POST given up on. */
export interface WebhookFailure {
  url: string;
  rule: string;
  state: 'firing' | 'resolved';
  attempts: number;
  reason: string;
}

/** What happened to POSTs so far: each POST is delivered, failed or dropped; `retried` counts attempts after the first. */
export interface WebhookDeliveryCounters {
  delivered: number;
  failed: number;
  dropped: number;
  retried: number;
}

interface Job {
  webhook: AlertWebhook;
  body: string;
  rule: string;
  state: 'firing' | 'resolved';
}

type Attempt = { ok: true } | { ok: false; retry: boolean; reason: string; retryAfter?: number };

const userAgent = 'promptune-alerts';

/** Queues notifications and POSTs them to their webhooks in the background. */
export class WebhookDelivery {
  private readonly queueSize: number;
  private readonly timeout: number;
  private readonly attempts: number;
  private readonly baseDelay: number;
  private readonly maxDelay: number;
  private readonly sleep: (milliseconds: number) => Promise<void>;
  private readonly random: () => number;
  private readonly onFailure: ((failure: WebhookFailure) => void) | undefined;
  private readonly queues = new Map<string, Job[]>();
  private readonly workers = new Map<string, Promise<void>>();
  private waiting = 0;
  private readonly counts: WebhookDeliveryCounters = { delivered: 0, failed: 0, dropped: 0, retried: 0 };

  constructor(options: WebhookDeliveryOptions = {}) {
    this.queueSize = options.queueSize ?? 1000;
    this.timeout = options.timeout ?? 5000;
    this.attempts = Math.max(1, options.attempts ?? 5);
    this.baseDelay = options.baseDelay ?? 500;
    this.maxDelay = options.maxDelay ?? 30_000;
    this.sleep =
      options.sleep ?? ((milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)));
    this.random = options.random ?? Math.random;
    this.onFailure = options.onFailure;
  }

  /** Counts so far (a copy). */
  get counters(): WebhookDeliveryCounters {
    return { ...this.counts };
  }

  /** POSTs waiting to be sent (not counting those being sent). */
  get queued(): number {
    return this.waiting;
  }

  /** Queues one POST per webhook of the notification and returns at once; never throws. */
  send(notification: AlertNotification): void {
    if (notification.webhooks.length === 0) return;
    const body = JSON.stringify(webhookPayload(notification));
    const { rule, state } = notification.event;
    for (const webhook of notification.webhooks) {
      if (this.waiting >= this.queueSize) {
        this.counts.dropped++;
        continue;
      }
      const queue = this.queues.get(webhook.url) ?? [];
      queue.push({ webhook, body, rule, state });
      this.queues.set(webhook.url, queue);
      this.waiting++;
      if (!this.workers.has(webhook.url))
        this.workers.set(
          webhook.url,
          Promise.resolve().then(() => this.work(webhook.url)),
        );
    }
  }

  /** Resolves once every queued POST (and any sent meanwhile) has been delivered or given up on. */
  async drain(): Promise<void> {
    while (this.workers.size > 0) await Promise.all([...this.workers.values()]);
  }

  /** Sends one URL's POSTs in order until its queue is empty. */
  private async work(url: string): Promise<void> {
    for (;;) {
      const job = this.queues.get(url)?.shift();
      if (!job) {
        // no await between the empty check and these deletes: send() sees either this worker or none
        this.queues.delete(url);
        this.workers.delete(url);
        return;
      }
      this.waiting--;
      try {
        await this.post(job);
      } catch {
        this.counts.failed++; // an injected sleep that threw: give the POST up, keep the worker
      }
    }
  }

  private async post(job: Job): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const result = await this.attempt(job);
      if (result.ok) {
        this.counts.delivered++;
        return;
      }
      if (!result.retry || attempt >= this.attempts) {
        this.counts.failed++;
        const { rule, state } = job;
        try {
          this.onFailure?.({ url: job.webhook.url, rule, state, attempts: attempt, reason: result.reason });
        } catch {
          // a listener's failure is not the delivery's
        }
        return;
      }
      this.counts.retried++;
      await this.sleep(this.backoff(attempt, result.retryAfter));
    }
  }

  /** Half the exponential delay plus up to half again at random ("equal jitter"), at most maxDelay. */
  private backoff(attempt: number, retryAfter: number | undefined): number {
    const exponential = Math.min(this.maxDelay, this.baseDelay * 2 ** (attempt - 1));
    const jittered = exponential / 2 + (this.random() * exponential) / 2;
    return Math.min(this.maxDelay, Math.max(jittered, retryAfter ?? 0));
  }

  private async attempt(job: Job): Promise<Attempt> {
    let headers: Headers;
    try {
      headers = new Headers(job.webhook.headers);
    } catch (error) {
      return { ok: false, retry: false, reason: `invalid headers: ${(error as Error).message}` };
    }
    headers.set('content-type', 'application/json');
    headers.set('user-agent', userAgent);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeout);
    try {
      const response = await fetch(job.webhook.url, {
        method: 'POST',
        headers,
        body: job.body,
        signal: controller.signal,
        // a POST redirected becomes a GET: the configured URL should be the final one
        redirect: 'manual',
      });
      const text = await response.text(); // read to the end, so the connection can be reused
      if (response.ok) return { ok: true };
      const reason = `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
      const retry = response.status === 429 || response.status >= 500;
      return {
        ok: false,
        retry,
        reason,
        retryAfter: retryAfterMilliseconds(response.headers.get('retry-after')),
      };
    } catch (error) {
      const reason = controller.signal.aborted ? `no answer within ${this.timeout} ms` : networkReason(error);
      return { ok: false, retry: true, reason };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A Retry-After of whole seconds, in ms (an HTTP date is ignored: the backoff applies). */
function retryAfterMilliseconds(header: string | null): number | undefined {
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header.trim()) * 1000;
}

/** fetch's "fetch failed" with the cause that says why (ECONNREFUSED, ENOTFOUND, ...). */
function networkReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: string; message?: string } | undefined;
  const why = cause?.code ?? cause?.message;
  return why ? `${error.message}: ${why}` : error.message;
}
