// A Redis URL checked before ioredis sees it (BullMQ's queues and workers, the service's shared rate
// limits): ioredis reads anything else as a socket path and waits for it.
import { redactedUrl, ValidationError } from '../errors/index.js';

/**
 * `url` if it is a Redis URL (redis:// or rediss://, with a whole-number database if any); anything else
 * is refused now, where ioredis would read it as a socket path and wait for it.
 */
export function checkedRedisUrl(url: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  const database = parsed?.pathname.replace(/^\//, '') ?? '';
  if (!parsed || !['redis:', 'rediss:'].includes(parsed.protocol) || !/^\d*$/.test(database))
    throw new ValidationError(`${redactedUrl(url)} is not a Redis URL`, {
      code: 'REDIS_BAD_URL',
      hint: 'Write redis://[user:password@]host:6379[/database number], or rediss:// for TLS (REDIS_URL or --redis).',
    });
  return url;
}
