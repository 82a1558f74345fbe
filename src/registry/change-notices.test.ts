// The change listener on a Postgres that stops answering without refusing (a real server behind a
// proxy that drops every byte): its ping goes unanswered, and the connection counts as lost within
// the ping's limit (notices may be missed: caches forget), not when TCP gives up minutes later.
import { expect, it } from 'vitest';
import { describePostgres } from '../../test/registry-postgres.js';
import { startTcpProxy } from '../../test/tcp-proxy.js';
import { listenForChanges } from './change-notices.js';

describePostgres('the change listener on a database that stops answering', (freshDatabase) => {
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
});
