// A service given a limiter shared in Redis (SharedRateLimiter, as a library user builds it) and a rate
// in its limits: a key without a rate of its own is held to the service's rate, not the limiter's
// default; a key's own rate stays its own. Over real Redis, with a SQLite registry.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, expect, it } from 'vitest';
import { describeRedis } from '../../test/redis.js';
import { Registry } from '../registry/index.js';
import { createService, type Service } from './service.js';
import { SharedRateLimiter } from './shared-rate-limiter.js';

describeRedis('a service with a shared limiter and a rate of its own', (url) => {
  let registry: Registry | undefined;
  let service: Service | undefined;
  afterAll(async () => {
    await service?.drain(); // closes the limiter
    await registry?.close();
  });

  it('holds keys without a rate to the service’s, and keys with one to theirs', async () => {
    registry = await Registry.open({
      path: join(mkdtempSync(join(tmpdir(), 'promptune-rate-')), 'r.sqlite'),
    });
    const plain = await registry.keys.create({ name: 'plain', scopes: ['read'] });
    const own = await registry.keys.create({ name: 'own', scopes: ['read'], ratePerMinute: 3 });
    const said: string[] = [];
    const rateLimiter = await SharedRateLimiter.open(url(), 600, {
      lost: (error) => said.push(error.code),
      back: () => said.push('back'),
    });
    service = createService({
      registry,
      backends: {},
      limits: { ratePerMinute: 2, rateLimiter },
      tracing: false,
      experiments: false,
      logger: pino({ level: 'silent' }),
    });
    const statuses = async (key: string, count: number) => {
      const seen: number[] = [];
      for (let request = 0; request < count; request++) {
        const response = await service!.app.request('/v1/me', {
          headers: { authorization: `Bearer ${key}` },
        });
        seen.push(response.status);
      }
      return seen;
    };
    expect(await statuses(plain.key, 3)).toEqual([200, 200, 429]);
    expect(await statuses(own.key, 4)).toEqual([200, 200, 200, 429]);
    expect(said).toEqual([]); // counted in Redis throughout
  });
});
