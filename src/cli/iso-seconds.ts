// A time as the experiment and job commands print it: ISO 8601 to the second, in UTC.

/** `2026-12-02T13:04:24Z` for epoch milliseconds. */
export const isoSeconds = (at: number): string => new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
