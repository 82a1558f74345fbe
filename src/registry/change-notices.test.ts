// A Postgres that stops answering without refusing (a real server behind a proxy that drops every
// byte): the change listener's ping goes unanswered, and its connection counts as lost within the
// ping's limit (notices may be missed: caches forget), and a registry query on an open pooled
// connection fails as a lost connection within its limit, not when TCP gives up minutes later; once
// the database answers again, the next query opens another connection.
import { expect, it } from 'vitest';
import { describePostgres } from '../../test/registry-postgres.js';
import { startTcpProxy } from '../../test/tcp-proxy.js';
import { listenForChanges } from './change-notices.js';
import { isConnectionLost } from './connection-lost.js';
import { Registry } from './registry.js';

describePostgres('a database that stops answering', (freshDatabase) => {
  it('counts the connection lost when a ping goes unanswered', async () => {
    const url = new URL(await freshDatabase());
    const proxy = await startTcpProxy(Number(url.port));
    url.port = String(proxy.port);
    let gaps = 0;
    const errors: unknown[] = [];
    const listener = await listenForChanges(
      url.toString(),
      { onChange: () => undefined, onGap: () => gaps++, onError: (error) => errors.push(error) },
      { pingMs: 100, pingLimitMs: 300, retryMs: 60_000 },
    );
    try {
      expect(listener.connected).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 300)); // pings answered meanwhile
      expect(listener.connected).toBe(true);
      const before = gaps;
      proxy.setDropping(true);
      await expect.poll(() => listener.connected, { timeout: 3000 }).toBe(false);
      expect(gaps).toBe(before + 1);
      expect(String(errors[0])).toContain("the change listener's ping had no answer within 300 ms");
    } finally {
      await listener.close();
      await proxy.stop();
    }
  });

  it('fails a registry query on an open connection within its limit, and reconnects after', async () => {
    const url = new URL(await freshDatabase());
    const proxy = await startTcpProxy(Number(url.port));
    url.port = String(proxy.port);
    const registry = await Registry.open({ url: url.toString() }, { queryLimitMs: 400 });
    try {
      expect(await registry.taskNames()).toEqual([]); // a pooled connection, open
      proxy.setDropping(true);
      // without the limit it would wait out TCP's retries (minutes): the test's own time limit fails it
      const error = await registry.taskNames().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(isConnectionLost(error)).toBe(true);
      expect(String(error)).toContain("the registry's database did not answer a query within 400 ms");
      proxy.setDropping(false);
      expect(await registry.taskNames()).toEqual([]);
    } finally {
      await registry.close();
      await proxy.stop();
    }
  }, 30_000);
});
