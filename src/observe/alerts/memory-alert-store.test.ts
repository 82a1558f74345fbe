import { describe, expect, it } from 'vitest';
import { alertStoreConformance } from './alert-store.case.js';
import { MemoryAlertStore } from './memory-alert-store.js';

alertStoreConformance('memory', async () => new MemoryAlertStore());

describe('MemoryAlertStore', () => {
  it('keeps copies: changing what went in or came out changes nothing stored', async () => {
    const store = new MemoryAlertStore();
    const status = { rule: 'a', state: 'ok' as const, since: 1, value: 1, count: 1, evaluatedAt: 1 };
    await store.save(status);
    status.value = 99;
    (await store.load())[0].count = 99;
    expect(await store.load()).toEqual([
      { rule: 'a', state: 'ok', since: 1, value: 1, count: 1, evaluatedAt: 1 },
    ]);
  });
});
