// Rate limits shared through a real Redis: two limiters (two replicas) on one server let a key through
// its rate once between them, not once each; keys are counted apart; and with Redis stopped, each
// counts alone (serving goes on), said once as it is lost; with Redis answering nothing (paused, as in a
// partition), requests do not wait for it one after another.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { describeRedis, redisServerPath, startRedis, type TestRedis } from '../../test/redis.js';
import { SharedRateLimiter } from './shared-rate-limiter.js';

const opened: SharedRateLimiter[] = [];
afterAll(() => Promise.all(opened.map((limiter) => limiter.close())));

async function replica(url: string, perMinute: number, said: string[] = []) {
  const limiter = await SharedRateLimiter.open(url, perMinute, {
    lost: (error) => said.push(`lost: ${error.code}: ${error.message} (${error.hint})`),
    back: () => said.push('back'),
  });
  opened.push(limiter);
  return limiter;
}

/** Admits until one is refused (each once Redis answers); the admitted count and the wait asked. */
async function admitted(limiters: SharedRateLimiter[], key: string, tries: number) {
  const waits: number[] = [];
  for (let i = 0; i < tries; i++) waits.push(await limiters[i % limiters.length].admit(key));
  return waits;
}

describeRedis('rate limits shared in Redis', (url) => {
  it('lets a key through its rate once across the replicas, each key apart', async () => {
    const said: string[] = [];
    const replicas = [await replica(url(), 5, said), await replica(url(), 5, said)];
    expect(said).toEqual([]); // both connected as they opened
    const waits = await admitted(replicas, 'key-a', 8);
    expect(waits.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    // refused on both replicas, with the wait until the bucket holds one (5 a minute: 12 s)
    expect(waits.slice(5).every((seconds) => seconds >= 1 && seconds <= 12)).toBe(true);
    expect(await replicas[1].admit('key-b')).toBe(0);
    // a key's own rate is its own
    expect(await admitted(replicas, 'key-c', 3)).toEqual([0, 0, 0]);
  });
});

describe('rate limits while Redis is away', () => {
  let server: TestRedis | undefined;
  afterAll(() => server?.stop(), 60_000);

  it.skipIf(process.env.PROMPTUNE_REQUIRE_REDIS !== '1' && !existsSync(redisServerPath))(
    'counts alone, and says so once',
    async () => {
      server = await startRedis();
      const said: string[] = [];
      const limiter = await replica(server.url, 2, said);
      expect(said).toEqual([]);
      await server.stop();
      server = undefined;
      // this replica's own bucket: 2 a minute, then refused
      expect([await limiter.admit('key'), await limiter.admit('key')]).toEqual([0, 0]);
      expect(await limiter.admit('key')).toBeGreaterThanOrEqual(1);
      const lost = said.filter((line) => line.startsWith('lost'));
      expect(lost).toHaveLength(1);
      expect(lost[0]).toMatch(
        /^lost: CONNECTION_FAILED: Redis at redis:\/\/127\.0\.0\.1:\d+ does not answer .*counted by this replica alone/,
      );
      expect(lost[0]).toContain('at the URL given to SharedRateLimiter.open'); // a library user's words too
    },
    30_000,
  );

  it.skipIf(process.env.PROMPTUNE_REQUIRE_REDIS !== '1' && !existsSync(redisServerPath))(
    'asks a Redis that stopped answering once a second, not once a request',
    async () => {
      server = await startRedis();
      const said: string[] = [];
      const limiter = await replica(server.url, 100, said);
      expect(await limiter.admit('key')).toBe(0);
      const { Redis } = await import('ioredis');
      const observer = new Redis(server.url);
      try {
        await observer.config('RESETSTAT');
        server.pause();
        try {
          // the first waits out its answer and finds Redis away; the rest are counted here at once
          for (let request = 0; request < 6; request++) expect(await limiter.admit('key')).toBe(0);
        } finally {
          server.resume();
        }
        for (let wait = 0; wait < 50 && !said.includes('back'); wait++) {
          await limiter.admit('other');
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(said.filter((line) => line.startsWith('lost'))).toHaveLength(1);
        expect(said).toContain('back');
        // a paused Redis runs what it was sent once it wakes: one script (the first request's), not six
        // more requests already counted by this replica alone
        const statistics = await observer.info('commandstats');
        expect(Number(/cmdstat_eval:calls=(\d+)/.exec(statistics)?.[1] ?? 0)).toBe(1);
      } finally {
        observer.disconnect();
      }
    },
    30_000,
  );
});
