// `registry show` says where a version came from by the names people use: the run that made it and the
// loop iteration that ran it (and how that ended), its parent by number, the dataset version it was
// trained on, and its canaries (the record holds only ids and dataset hashes). A real SQLite registry.
import { describe, expect, it } from 'vitest';
import { Registry } from '../registry/index.js';
import { taskSpec } from '../tasks/index.js';
import { lineageLines, loopOutcomesByVersion } from './version-lineage.js';

describe('lineageLines', () => {
  it('names the making run, its loop and how it ended, the parent by number, the whole dataset version and its canaries', async () => {
    const registry = await Registry.open({ path: ':memory:' });
    try {
      const actor = { name: 'ops', scopes: ['admin'] };
      const spec = taskSpec.parse({
        name: 'gender',
        prompt: { template: '{{input}}' },
        input: { fields: ['input'] },
        metrics: [{ name: 'exact-match' }],
      });
      const put = (split: string, text: string, rows: number) =>
        registry.putDataset({
          task: 'gender',
          split,
          name: `${split}.jsonl`,
          bytes: new TextEncoder().encode(text),
          rows,
        });
      await registry.putTask(spec);
      const test = await put('test', '{"input":"t","target":" boy"}\n', 1);
      const trainOne = await put('train', '{"input":"a","target":" boy"}\n', 1);
      const trainTwo = await put(
        'train',
        '{"input":"a","target":" boy"}\n{"input":"b","target":" girl"}\n',
        2,
      );
      await registry.datasetVersions.add({
        task: 'gender',
        splits: { train: trainOne, test },
        source: 'files',
        message: '',
        actor: 'ops',
      });
      await registry.datasetVersions.add({
        task: 'gender',
        splits: { train: trainTwo, test },
        parent: 1,
        source: 'review:gender-review',
        message: '',
        actor: 'ops',
      });
      const first = await registry.pushVersion({
        task: 'gender',
        kind: 'hard',
        content: { template: 'A {{input}}' },
        spec,
        actor,
        run: { datasets: { train: trainOne, test } },
      });
      const second = await registry.pushVersion({
        task: 'gender',
        kind: 'hard',
        content: { template: 'B {{input}}' },
        spec,
        actor,
        parent: first.version.id,
        run: { datasets: { train: trainTwo, test } },
      });
      const run = await registry.runs.start({
        id: 'loop-1.retune.1',
        kind: 'soft-training',
        task: 'gender',
        config: { loop: 'loop-1' },
        actor: 'ops',
      });
      await registry.runs.finish(run.id, { status: 'completed', version: second.version.id });
      // a later iteration that re-tuned to the very same version names it too, without having made it
      await registry.runs.start({
        id: 'loop-2.retune.1',
        kind: 'soft-training',
        task: 'gender',
        config: { loop: 'loop-2' },
        actor: 'ops',
        at: Date.now() + 60_000,
      });
      await registry.runs.finish('loop-2.retune.1', { status: 'completed', version: second.version.id });
      await registry.runs.start({ id: 'loop-1', kind: 'loop', task: 'gender', actor: 'ops' });
      await registry.runs.finish('loop-1', {
        status: 'completed',
        summary: { outcome: 'rolled-back', reason: 'the primary metric is lower by 0.3222 (p 0.0083)' },
      });
      await registry.setLabel({ task: 'gender', label: 'production', reference: '1', actor });
      const canary = await registry.experiments.create({
        task: 'gender',
        label: 'production',
        control: first.version.id,
        treatment: second.version.id,
        weight: 0.5,
        config: {},
        state: {},
        reason: 'loop loop-1',
        actor: 'ops',
      });
      await registry.experiments.apply(canary.id, {
        revision: canary.revision,
        action: 'rollback',
        reason: 'the primary metric is lower by 0.3222 (p 0.0083)',
        weight: 0,
        state: {},
        status: 'rolled-back',
        actor: 'ops',
      });

      expect(await lineageLines(registry, second.version)).toEqual([
        'made by: loop-1.retune.1 (soft-training, in loop iteration loop-1)',
        'loop outcome: rolled-back: the primary metric is lower by 0.3222 (p 0.0083)',
        `parent: @1 (${first.version.id.slice(0, 12)})`,
        'datasets: dataset version 2 (review:gender-review): train 2 rows, test 1 rows',
        `canary: ${canary.id} against @1 on production, rolled-back: the primary metric is lower by 0.3222 (p 0.0083)`,
      ]);
      expect(await lineageLines(registry, first.version)).toEqual([
        'datasets: dataset version 1 (files): train 1 rows, test 1 rows',
      ]);
      // a mix of versions' files: each split with the first dataset version holding it
      const mixed = await registry.pushVersion({
        task: 'gender',
        kind: 'hard',
        content: { template: 'C {{input}}' },
        spec,
        actor,
        run: { datasets: { train: trainTwo } },
      });
      expect(await lineageLines(registry, mixed.version)).toEqual([
        'datasets: train 2 rows (dataset version 2)',
      ]);
    } finally {
      await registry.close();
    }
  });

  it('marks each version with how the latest loop iteration that made it ended, and none for an unchanged one', async () => {
    const registry = await Registry.open({ path: ':memory:' });
    try {
      const at = Date.now();
      const loop = async (id: string, version: string | undefined, outcome: string, minute: number) => {
        await registry.runs.start({
          id,
          kind: 'loop',
          task: 'gender',
          actor: 'ops',
          at: at + minute * 60_000,
        });
        await registry.runs.finish(id, {
          status: outcome === 'failed' ? 'failed' : 'completed',
          summary: { outcome, reason: '' },
          ...(version && { version }),
        });
      };
      await loop('loop-1', 'v1', 'promoted', 0);
      await loop('loop-2', 'v2', 'gate-failed', 1);
      // a resumed candidate: refused first, then the iteration that rolled it back later
      await loop('loop-3', 'v3', 'gate-failed', 2);
      await loop('loop-4', 'v3', 'rolled-back', 3);
      // reproduced production's version: it made nothing
      await loop('loop-5', 'v1', 'unchanged', 4);
      // ended before its re-tune named a version
      await loop('loop-6', undefined, 'failed', 5);
      await registry.runs.start({ id: 'other', kind: 'loop', task: 'name', actor: 'ops' });
      await registry.runs.finish('other', {
        status: 'completed',
        summary: { outcome: 'promoted' },
        version: 'v9',
      });
      expect(Object.fromEntries(await loopOutcomesByVersion(registry, 'gender'))).toEqual({
        v1: 'promoted',
        v2: 'gate-failed',
        v3: 'rolled-back',
      });
    } finally {
      await registry.close();
    }
  });
});
