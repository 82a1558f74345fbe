// Canonical JSON (object keys sorted, no whitespace) and content hashes, so the same prompt content
// always has the same version id whichever order its fields were written in.
import { createHash } from 'node:crypto';

/** JSON with object keys in sorted order at every level. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 hex of bytes or of a value's canonical JSON. */
export function contentHash(value: unknown): string {
  const hash = createHash('sha256');
  hash.update(value instanceof Uint8Array ? value : canonicalJson(value));
  return hash.digest('hex');
}
