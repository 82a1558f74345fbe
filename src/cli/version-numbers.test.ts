// Listings name versions by number (gender@5) from each task's versions in a real SQLite registry; an id
// the registry does not hold keeps its start.
import { describe, expect, it } from 'vitest';
import { Registry } from '../registry/index.js';
import { taskSpec } from '../tasks/index.js';
import { versionNumbers, versionText } from './version-numbers.js';

describe('versionNumbers', () => {
  it("reads each task's versions once and names them by number", async () => {
    const registry = await Registry.open({ path: ':memory:' });
    try {
      const spec = taskSpec.parse({
        name: 'gender',
        prompt: { template: '{{input}}' },
        input: { fields: ['input'] },
        metrics: [{ name: 'exact-match' }],
      });
      const actor = { name: 'ops', scopes: ['admin'] };
      const first = await registry.pushVersion({
        task: 'gender',
        kind: 'hard',
        content: { template: 'A {{input}}' },
        spec,
        actor,
      });
      const second = await registry.pushVersion({
        task: 'gender',
        kind: 'hard',
        content: { template: 'B {{input}}' },
        spec,
        actor,
      });
      const numbers = await versionNumbers(registry, ['gender', 'gender', null, 'absent']);
      expect([...numbers.values()].sort()).toEqual([1, 2]);
      expect(versionText(first.version.id, numbers)).toBe('@1');
      expect(versionText(second.version.id, numbers)).toBe('@2');
      expect(versionText('45dd184d75f0bbdd81ed0564', numbers)).toBe('@45dd184d');
      expect(versionText(null, numbers)).toBe('-');
    } finally {
      await registry.close();
    }
  });
});
