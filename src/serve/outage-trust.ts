// How long the service answers with what it last knew of the registry (a verified key, the version a
// label serves) while the registry's database is away: a Postgres restart or failover does not stop
// serving, and a key or label cannot be changed meanwhile anyway.
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
