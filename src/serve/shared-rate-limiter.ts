// Rate limits shared by every replica on one Redis: each key's token bucket lives in Redis and is taken
// by one Lua script (atomic, on Redis's clock), so N replicas let a key through its rate, not N times it.
// While Redis is away each replica counts alone (a rate limit should not stop serving), said once as it
// is lost and once as it answers again; meanwhile requests do not wait for it: one ping a second asks
// whether it is back. ioredis is loaded only when a service is given a Redis.
import type { Redis } from 'ioredis';
import { redactedUrl, UnavailableError } from '../errors/index.js';
import { checkedRedisUrl } from '../jobs/index.js';
import { RateLimiter, type KeyRateLimit } from './auth.js';

/** Tokens and the time they were counted at, refilled at `rate` a minute up to `rate`; one taken if there. */
const takeScript = `
local rate = tonumber(ARGV[1])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or rate
local at = tonumber(bucket[2]) or now
tokens = math.min(rate, tokens + math.max(0, now - at) / 60000 * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / rate * 60)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], 61000)
return wait
`;

/** How long a request waits for Redis's answer before this replica counts it alone. */
const answerWaitMs = 500;

/** How long opening waits for a first connection before it says this replica counts alone. */
const connectWaitMs = 3000;

/**
 * While Redis is away, how often it is asked (a ping beside the requests) whether it is back. A Redis
 * that stops answering without refusing (a partition, a paused server) had held every request for the
 * answer wait, and had run each timed-out script once it woke, counting requests already counted here.
 */
const probeEveryMs = 1000;

/** Who hears of Redis going away (once, with a coded error) and answering again (once). */
export interface RedisOutageListener {
  /** Redis stopped answering: this replica counts alone until `back` (code CONNECTION_FAILED). */
  lost(error: UnavailableError): void;
  back(): void;
}

/** Per-key token buckets in Redis, shared by the replicas using it. */
export class SharedRateLimiter implements KeyRateLimit {
  private away = false;
  private connectedOnce = false;
  private nextProbeAt = 0;
  private probing = false;

  private constructor(
    private readonly client: Redis,
    private readonly url: string,
    private readonly fallback: RateLimiter,
    private readonly perMinute: number,
    private readonly outage: RedisOutageListener,
  ) {}

  /**
   * A limiter on the Redis at `url` (checked now: a URL that is not Redis's is refused); it connects in
   * the background, and counts alone until Redis answers.
   */
  static async open(url: string, perMinute: number, outage: RedisOutageListener): Promise<SharedRateLimiter> {
    checkedRedisUrl(url);
    const { Redis } = await import('ioredis');
    // a command Redis cannot take now fails at once (no queue of requests waiting on a reconnect)
    const client = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: answerWaitMs,
      connectTimeout: 2000,
    });
    const limiter = new SharedRateLimiter(client, url, new RateLimiter(perMinute), perMinute, outage);
    let lastError: unknown;
    client.on('error', (error: unknown) => {
      lastError = error;
      if (client.status === 'ready' || limiter.connectedOnce) limiter.lost(error); // ioredis reconnects
    });
    client.on('ready', () => (limiter.connectedOnce = true));
    // connected before the first request, or said now: this replica counts alone until it is
    let timer: NodeJS.Timeout | undefined;
    const connected = await Promise.race([
      new Promise<boolean>((resolve) => client.once('ready', () => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), connectWaitMs))),
    ]);
    clearTimeout(timer);
    if (!connected) limiter.lost(lastError ?? new Error(`no connection in ${connectWaitMs} ms`));
    return limiter;
  }

  async admit(key: string, perMinute = this.perMinute): Promise<number> {
    if (this.away) {
      this.probe();
      return this.fallback.admit(key, perMinute);
    }
    try {
      const wait = Number(await this.client.eval(takeScript, 1, `promptune:rate:${key}`, perMinute));
      return wait === 0 ? 0 : Math.max(1, wait);
    } catch (error) {
      this.lost(error);
      return this.fallback.admit(key, perMinute);
    }
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }

  /** Asks Redis, at most once a second and never on a request's path, whether it answers again. */
  private probe(): void {
    const now = Date.now();
    if (this.probing || now < this.nextProbeAt) return;
    this.probing = true;
    this.nextProbeAt = now + probeEveryMs;
    this.client
      .ping()
      .then(() => {
        if (!this.away) return;
        this.away = false;
        this.outage.back();
      })
      .catch(() => undefined) // still away: the next probe asks again
      .finally(() => (this.probing = false));
  }

  private lost(error: unknown): void {
    if (this.away) return;
    this.away = true;
    this.nextProbeAt = Date.now() + probeEveryMs;
    const why = error instanceof Error ? error.message : String(error);
    this.outage.lost(
      new UnavailableError(
        `Redis at ${redactedUrl(this.url)} does not answer (${why}): rate limits are counted by this replica alone until it does`,
        {
          code: 'CONNECTION_FAILED',
          hint: 'Check that Redis runs and is reachable from this replica at the URL given to SharedRateLimiter.open (promptune serve --redis or REDIS_URL).',
        },
      ),
    );
  }
}
