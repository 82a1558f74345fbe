// Two processes starting the same task's loop iteration at once on one Postgres registry: one starts,
// the other is refused with LOOP_RUNNING (the check and the write hold the task's loop lock; Postgres's
// read-committed transactions would otherwise both see no live iteration and both start).
import { expect, it } from 'vitest';
import { describePostgres } from '../../test/registry-postgres.js';
import { Registry } from '../registry/index.js';
import { taskSpec } from '../tasks/index.js';
import { claimRun } from './loop-iteration.js';
import { loopPolicySchema } from './loop-policy.js';

const actor = { name: 'ops', scopes: ['read', 'run', 'admin'] };

describePostgres('starting a loop iteration on Postgres', (freshDatabase) => {
  it('lets one of two processes starting at once start, and refuses the other', async () => {
    const url = await freshDatabase();
    const registries = [await Registry.open({ url }), await Registry.open({ url })];
    try {
      await registries[0].putTask(taskSpec.parse({ name: 'greet', prompt: { template: '{{input}}' } }));
      const file = {
        path: '/nowhere/loop.yaml',
        folder: '/nowhere',
        policy: loopPolicySchema.parse({
          task: 'greet',
          spec: 'greet.yaml',
          model: 'local:model.gguf',
          trigger: { every: '1d' },
          canary: {
            primary: 'liked',
            schedule: [{ weight: 0.5, minimumDurationMs: 0, minimumRequests: 10 }],
          },
        }),
      };
      const runStep = () => Promise.resolve({ ok: true, output: '' });
      // several rounds: without the lock, the two transactions interleave in most of them
      for (let round = 0; round < 5; round++) {
        const task = `greet-${round}`;
        await registries[0].putTask(taskSpec.parse({ name: task, prompt: { template: '{{input}}' } }));
        const policy = { ...file.policy, task };
        const outcomes = await Promise.allSettled(
          registries.map((registry) =>
            claimRun(
              { registry, file: { ...file, policy }, actor, runStep },
              {
                triggers: {
                  triggered: true,
                  reasons: ['scheduled'],
                  alerts: [],
                  unevaluated: [],
                  retry: false,
                },
              },
            ),
          ),
        );
        expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
        const refused = outcomes.find((outcome) => outcome.status === 'rejected');
        expect(String((refused as PromiseRejectedResult).reason)).toMatch(/is running/);
        expect((refused as PromiseRejectedResult).reason).toMatchObject({ code: 'LOOP_RUNNING' });
      }
    } finally {
      for (const registry of registries) await registry.close();
    }
  });
});
