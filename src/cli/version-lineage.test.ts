// `registry show` says where a version came from by the names people use: the run that made it and the
// loop iteration that ran it, its parent by number, and the dataset version it was trained on (the record
// holds only ids and dataset hashes). A real SQLite registry.
import { describe, expect, it } from 'vitest';
import { Registry } from '../registry/index.js';
import { taskSpec } from '../tasks/index.js';
import { lineageLines } from './version-lineage.js';

describe('lineageLines', () => {
  it('names the making run, its loop, the parent by number and the whole dataset version', async () => {
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

      expect(await lineageLines(registry, second.version)).toEqual([
        'made by: loop-1.retune.1 (soft-training, in loop iteration loop-1)',
        `parent: @1 (${first.version.id.slice(0, 12)})`,
        'datasets: dataset version 2 (review:gender-review): train 2 rows, test 1 rows',
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
});
