// A registry database that stops answering without refusing (a real Postgres behind a proxy that drops
// every byte): a key and a name resolved a moment before answer within about two seconds from what the
// service last knew, where a request had waited on a hung connection for as long as TCP takes to give up.
import { expect, it } from 'vitest';
import { describePostgres } from '../../test/registry-postgres.js';
import { startTcpProxy } from '../../test/tcp-proxy.js';
import { Registry } from '../registry/index.js';
import { taskSpec } from '../tasks/index.js';
import { KeyVerifier } from './auth.js';
import { ServedVersions } from './served-versions.js';

const actor = { name: 'ops', scopes: ['admin' as const] };

/** `promise`'s value, or 'hung' when it has not settled in `ms`. */
const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), ms).unref())]);

describePostgres('a registry database that stops answering', (freshDatabase) => {
  it('answers a key and a name resolved lately within seconds, not on a hung connection', async () => {
    const url = await freshDatabase();
    const setup = await Registry.open({ url });
    await setup.putTask(taskSpec.parse({ name: 'story', prompt: { template: '{{input}}' } }));
    const { version } = await setup.pushVersion({
      task: 'story',
      kind: 'hard',
      content: { template: '{{input}}' },
      actor,
    });
    await setup.setLabel({
      task: 'story',
      label: 'production',
      reference: version.id,
      actor,
      reason: 'test',
    });
    const { key } = await setup.keys.create({ name: 'app', scopes: ['run'] });
    await setup.close();

    const proxy = await startTcpProxy(Number(new URL(url).port));
    const proxied = new URL(url);
    proxied.port = String(proxy.port);
    const registry = await Registry.open({ url: proxied.toString() });
    // nothing cached for long: each request asks the registry again
    const verifier = new KeyVerifier(registry, 0);
    const versions = new ServedVersions(registry, 0);
    try {
      expect((await verifier.verify(key)).name).toBe('app');
      expect((await versions.resolve('story')).version.id).toBe(version.id);
      proxy.setDropping(true);
      const started = Date.now();
      expect(await within(verifier.verify(key), 5000)).toMatchObject({ name: 'app' });
      expect(await within(versions.resolve('story'), 5000)).toMatchObject({ version: { id: version.id } });
      // the next requests do not wait again
      expect(await within(verifier.verify(key), 100)).toMatchObject({ name: 'app' });
      expect(Date.now() - started).toBeLessThan(6000);
    } finally {
      await proxy.stop();
      await registry.close().catch(() => undefined);
    }
  }, 30_000);
});
