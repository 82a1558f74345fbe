// Registering an optimization result: the final prompt becomes a child of the seed prompt's version,
// with the run (optimizer, models, scores, usage, dataset versions) as its lineage; a result that kept
// the seed makes no new version.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OptimizeResult } from '../optimize/index.js';
import { loadTask } from '../tasks/load-task.js';
import { pushOptimized, registerTask } from './register-task.js';
import { Registry } from './registry.js';

function fixture() {
  const folder = mkdtempSync(join(tmpdir(), 'promptune-register-'));
  writeFileSync(
    join(folder, 'dev.jsonl'),
    '{"input":"1 + 2","target":"3"}\n{"input":"2 + 2","target":"4"}\n',
  );
  writeFileSync(
    join(folder, 'sums.yaml'),
    'name: sums\nprompt:\n  template: "Q: {{input}}\\nAnswer:"\ndata:\n  dev: dev.jsonl\nmetrics:\n  - name: exact-match\n',
  );
  return { folder, task: loadTask(join(folder, 'sums.yaml')) };
}

function resultFor(task: ReturnType<typeof loadTask>, system: string | undefined): OptimizeResult {
  const prompt = { ...task.spec.prompt, system };
  const usage = { calls: 4, inputTokens: 40, outputTokens: 4, dollars: 0 };
  return {
    artifact: {
      format: 'promptune-prompt',
      version: 1,
      task: 'sums',
      prompt,
      generation: task.spec.generation,
      optimizer: { name: 'propose', seed: 0, calls: 4, stopped: 'all planned trials ran' },
      scores: { seed: 0, best: system ? 1 : 0, split: 'dev', n: 2 },
    },
    history: [],
    details: {
      dev: [],
      seed: { prompt: task.spec.prompt, scores: [0, 0], outputs: ['?', '?'] },
      final: { prompt, scores: [1, 1], outputs: ['3', '4'] },
      improved: system !== undefined,
      usage: { student: usage, teacher: usage, judge: { ...usage, calls: 0 } },
      budget: {},
      stopped: 'all planned trials ran',
    },
  };
}

describe('pushOptimized', () => {
  it('registers the final prompt as a child of the seed, with the run as lineage', async () => {
    const { folder, task } = fixture();
    const registry = await Registry.open({ path: join(folder, 'registry.sqlite') });
    const actor = { name: 'test', scopes: ['read', 'run'] };
    try {
      const pushed = await pushOptimized(
        registry,
        task,
        resultFor(task, 'Answer with the number only.'),
        { model: 'local:x', teacher: 'local:y' },
        actor,
      );
      expect(pushed.improved).toBe(true);
      expect(pushed.version.parent).toBe(pushed.seed.id);
      expect(pushed.version.content.system).toBe('Answer with the number only.');
      expect(pushed.version.run).toMatchObject({
        kind: 'optimize',
        optimizer: { name: 'propose' },
        model: 'local:x',
        teacher: 'local:y',
        scores: { best: 1 },
        usage: { student: { calls: 4 } },
      });
      expect((pushed.version.run as { datasets: Record<string, string> }).datasets.dev).toMatch(
        /^[0-9a-f]{64}$/,
      );
      const kept = await pushOptimized(
        registry,
        task,
        resultFor(task, undefined),
        { model: 'local:x' },
        actor,
      );
      expect(kept.improved).toBe(false);
      expect(kept.version.id).toBe(pushed.seed.id);
      expect((await registry.listVersions('sums')).map((version) => version.number)).toEqual([1, 2]);
    } finally {
      await registry.close();
    }
  });

  it('registerTask takes the Actor the other writes take, or its name, as who pushed the data', async () => {
    const { folder, task } = fixture();
    const registry = await Registry.open({ path: join(folder, 'registry.sqlite') });
    try {
      await registerTask(registry, task, { name: 'alice', scopes: ['run'] });
      expect((await registry.datasetVersions.get('sums')).actor).toBe('alice');
      writeFileSync(join(folder, 'dev.jsonl'), '{"input":"3 + 3","target":"6"}\n');
      await registerTask(registry, task, 'bob');
      expect((await registry.datasetVersions.get('sums')).actor).toBe('bob');
    } finally {
      await registry.close();
    }
  });
});
