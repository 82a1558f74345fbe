// Authentication, scopes and rate limits for the service. Every /v1 request carries
// `Authorization: Bearer <key>`; the key is verified against its hash in the registry (verified keys
// are remembered for a few seconds, so a revocation takes effect within that time), each route names
// the scope it needs, and each key has a token bucket of requests per minute (this replica's, or one
// shared by the replicas on a Redis: shared-rate-limiter.ts).
import type { Context, MiddlewareHandler } from 'hono';
import { AuthError, PermissionError } from '../errors/index.js';
import type { AccessKey, Actor, Registry, Scope } from '../registry/index.js';
import { errorResponse, ServiceError } from './errors.js';
import { answeredOrTrusted, trustedThroughOutage, type TrustedEntry } from './outage-trust.js';
import type { ServiceEnv } from './service-env.js';

/** Rate limits per key: how a request is admitted (this replica's buckets, or ones shared in Redis). */
export interface KeyRateLimit {
  /** Takes one request from `key`'s bucket: 0 when admitted, else the whole seconds until one fits. */
  admit(key: string, perMinute?: number): Promise<number>;
  /** Lets go of what it holds (a Redis connection). */
  close?(): Promise<void>;
}

/** Per-key token buckets in this process: `perMinute` requests a minute, bursts up to the same number. */
export class RateLimiter implements KeyRateLimit {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one request from `key`'s bucket; false when it is empty. */
  take(key: string, perMinute = this.perMinute): boolean {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: perMinute, at: now };
    bucket.tokens = Math.min(perMinute, bucket.tokens + ((now - bucket.at) / 60_000) * perMinute);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  async admit(key: string, perMinute = this.perMinute): Promise<number> {
    return this.take(key, perMinute) ? 0 : Math.max(1, this.secondsUntilNext(key, perMinute));
  }

  /** Whole seconds until `key`'s bucket holds a request again (0 when it does now). */
  secondsUntilNext(key: string, perMinute = this.perMinute): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return 0;
    const tokens = Math.min(perMinute, bucket.tokens + ((this.now() - bucket.at) / 60_000) * perMinute);
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) / perMinute) * 60);
  }
}

/** Verifies keys with a short memory of verified ones. */
export class KeyVerifier {
  private readonly verified = new Map<string, TrustedEntry & { key: AccessKey }>();

  constructor(
    private readonly registry: Registry,
    /** How long a verified key is trusted without asking again (a function: it may depend on change notices). */
    private readonly rememberMs: number | (() => number) = 5000,
  ) {}

  async verify(secret: string): Promise<AccessKey> {
    const cached = this.verified.get(secret);
    const now = Date.now();
    if (cached && cached.expires > now) return cached.key;
    let key: AccessKey;
    try {
      const answered = await answeredOrTrusted(cached, this.registry.keys.verify(secret), now);
      if (!answered) return cached!.key;
      key = answered.answer;
    } catch (error) {
      // the database away: a key verified lately is trusted on (nobody can revoke one meanwhile)
      if (cached && trustedThroughOutage(cached, error, now)) return cached.key;
      throw error;
    }
    if (this.verified.size > 10_000) this.verified.clear();
    const remember = typeof this.rememberMs === 'number' ? this.rememberMs : this.rememberMs();
    this.verified.set(secret, { key, expires: Date.now() + remember, resolvedAt: Date.now() });
    return key;
  }

  /**
   * Has every verified key checked again on its next request (one was revoked somewhere, or change
   * notices were missed); what each was is kept only to answer while the database is away.
   */
  forget(): void {
    for (const entry of this.verified.values()) entry.expires = 0;
  }
}

/** The verified key of a request (set by `requireScope`). */
export const accessKeyOf = (context: Context<ServiceEnv>): AccessKey | undefined => context.get('accessKey');

/** Who a request acts as in the registry (label moves, experiments): its verified key, by name. */
export function actorOfKey(context: Context<ServiceEnv>): Actor {
  const key = accessKeyOf(context)!;
  return { name: `key:${key.name}`, scopes: key.scopes };
}

/**
 * Middleware: a valid key with `scope` (or one of the scopes, given a list; admin implies every scope),
 * within its rate limit: the key's own, else `perMinute`, else the limiter's default.
 */
export function requireScope(
  scope: Scope | Scope[],
  verifier: KeyVerifier,
  limiter: KeyRateLimit,
  perMinute?: number,
): MiddlewareHandler<ServiceEnv> {
  return async (context, next) => {
    try {
      const header = context.req.header('authorization') ?? '';
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match)
        throw new AuthError('the request has no API key', {
          code: 'AUTH_MISSING_KEY',
          hint: 'Send Authorization: Bearer <key> (create one with promptune keys create).',
        });
      const key = await verifier.verify(match[1]);
      const accepted = typeof scope === 'string' ? [scope] : scope;
      if (!accepted.some((each) => key.scopes.includes(each)) && !key.scopes.includes('admin'))
        throw new PermissionError(`the key "${key.name}" lacks the ${accepted.join(' or ')} scope`, {
          code: 'AUTH_SCOPE',
          hint: `Use a key created with --scopes including ${accepted.join(' or ')}.`,
        });
      const seconds = await limiter.admit(key.id, key.ratePerMinute ?? perMinute);
      if (seconds > 0) {
        // when a request fits again: OpenAI's clients wait for Retry-After instead of spending their
        // retries at once against a per-minute limit
        context.header('Retry-After', String(seconds));
        throw new ServiceError(`the key "${key.name}" is over its rate limit`, {
          status: 429,
          code: 'RATE_LIMITED',
          hint: `Slow down: the next request fits in ${seconds} s (Retry-After).`,
        });
      }
      context.set('accessKey', key);
    } catch (error) {
      return errorResponse(context, error);
    }
    await next();
  };
}
