// How long the service answers with what it last knew of the registry (a verified key, the version a
// label serves) while the registry's database is away: a Postgres restart or failover does not stop
// serving, and a key or label cannot be changed meanwhile anyway.

/** How long a resolution answers for the registry through an outage, from when it was last resolved. */
export const outageTrustMs = 10 * 60_000;
