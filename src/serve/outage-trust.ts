// How long the service answers with what it last knew of the registry (a verified key, the version a
// label serves) while the registry's database is away: a Postgres restart or failover does not stop
// serving, and a key or label cannot be changed meanwhile anyway. A database that does not answer at
// all (a network partition, a failover behind an address that now drops packets) is waited for only
// briefly where such an answer exists: its queries hang until the connection times out.
import { isConnectionLost } from '../registry/index.js';

/** How long a resolution answers for the registry through an outage, from when it was last resolved. */
export const outageTrustMs = 10 * 60_000;

/** A cached resolution: until when it is fresh, and when the registry last gave it. */
export interface TrustedEntry {
  expires: number;
  resolvedAt: number;
}

/**
 * Whether `entry` answers in place of the registry after `error`: the database is away and the entry was
 * resolved within outageTrustMs. When it does, it is asked about again in a second, not on every request.
 */
export function trustedThroughOutage(entry: TrustedEntry | undefined, error: unknown, now: number): boolean {
  if (!entry || !isConnectionLost(error) || now - entry.resolvedAt >= outageTrustMs) return false;
  entry.expires = now + 1000;
  return true;
}

/** How long a request waits for the registry when a recent answer could stand in for it. */
export const trustedAnswerWaitMs = 2000;

/** How long such an answer then stands in without asking again (one request waits, not every one). */
const slowTrustMs = 5000;

/**
 * `lookup`'s answer; but when `entry` could stand in for it (resolved within outageTrustMs) and the
 * registry has not answered in `waitMs`, undefined: the caller answers with the entry, and the lookup
 * goes on unheard (a hung connection's query waited minutes, each request behind it). A lookup that
 * fails in time is thrown, for trustedThroughOutage to judge.
 */
export async function answeredOrTrusted<T>(
  entry: TrustedEntry | undefined,
  lookup: Promise<T>,
  now: number,
  waitMs = trustedAnswerWaitMs,
): Promise<{ answer: T } | undefined> {
  if (!entry || now - entry.resolvedAt >= outageTrustMs) return { answer: await lookup };
  const answered = lookup.then((answer) => ({ answer }));
  answered.catch(() => undefined); // a lookup given up on fails unheard
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), waitMs)));
  try {
    const outcome = await Promise.race([answered, late]);
    if (!outcome) entry.expires = Date.now() + slowTrustMs;
    return outcome;
  } finally {
    clearTimeout(timer);
  }
}
