// The dataset versions' conformance suite: the registry on SQLite and on Postgres must pass it unchanged.
// Numbers count from 1 per task, splits a version has already are that version, parents must exist,
// the latest and a numbered version are read back as written, and racing writers each get a number.
import { describe, expect, it } from 'vitest';
import { taskSpec } from '../tasks/index.js';
import type { Registry } from './registry.js';

const file = (text: string) => new TextEncoder().encode(text);

/** Runs the suite against registries made by `open` (each call: a fresh, empty database). */
export function datasetVersionConformance(name: string, open: () => Promise<Registry>): void {
  describe(`dataset version conformance: ${name}`, () => {
    it('numbers versions per task, keeps their splits, and refuses what does not exist', async () => {
      const registry = await open();
      try {
        await registry.putTask(taskSpec.parse({ name: 'name', prompt: { template: '{{input}}' } }));
        const put = (split: string, text: string) =>
          registry.putDataset({ task: 'name', split, name: `${split}.jsonl`, bytes: file(text), rows: 1 });
        const first = { train: await put('train', 'a'), dev: await put('dev', 'b') };
        const one = await registry.datasetVersions.add({
          task: 'name',
          splits: first,
          source: 'files',
          message: 'train.jsonl, dev.jsonl',
          actor: 'ada',
        });
        expect(one).toMatchObject({ task: 'name', number: 1, parent: null, splits: first, details: {} });
        // the same splits again are the same version
        expect(
          await registry.datasetVersions.add({
            task: 'name',
            splits: first,
            source: 'files',
            message: '',
            actor: 'bob',
          }),
        ).toEqual(one);
        const second = { ...first, train: await put('train', 'a\nc') };
        const two = await registry.datasetVersions.add({
          task: 'name',
          splits: second,
          source: 'review:name-corrections',
          message: '1 reviewed row',
          details: { added: { train: 1 } },
          actor: 'ada',
        });
        expect(two).toMatchObject({ number: 2, parent: 1, details: { added: { train: 1 } } });
        // version 1's files pushed again: version 1, and version 2 stays the latest
        expect(
          await registry.datasetVersions.add({
            task: 'name',
            splits: first,
            source: 'files',
            message: '',
            actor: 'bob',
          }),
        ).toEqual(one);
        const other = await registry.datasetVersions.add({
          task: 'animal',
          splits: { train: 'x' },
          source: 'files',
          message: '',
          actor: 'ada',
        });
        expect(other.number).toBe(1);
        expect(await registry.datasetVersions.get('name')).toEqual(two);
        expect(await registry.datasetVersions.get('name', 1)).toEqual(one);
        expect((await registry.datasetVersions.list('name')).map((version) => version.number)).toEqual([
          1, 2,
        ]);
        await expect(registry.datasetVersions.get('name', 9)).rejects.toMatchObject({
          code: 'DATASET_VERSION_NOT_FOUND',
        });
        await expect(registry.datasetVersions.get('gender')).rejects.toMatchObject({
          code: 'DATASET_VERSION_NOT_FOUND',
        });
        await expect(
          registry.datasetVersions.add({
            task: 'name',
            splits: {},
            source: 'files',
            message: '',
            actor: 'ada',
          }),
        ).rejects.toMatchObject({ code: 'DATASET_VERSION_EMPTY' });
        await expect(
          registry.datasetVersions.add({
            task: 'name',
            splits: { train: 'y' },
            parent: 7,
            source: 'files',
            message: '',
            actor: 'ada',
          }),
        ).rejects.toMatchObject({ code: 'DATASET_VERSION_NOT_FOUND' });
      } finally {
        await registry.close();
      }
    });

    it('gives writers racing for the next number a number each', async () => {
      const registry = await open();
      try {
        const added = await Promise.all(
          Array.from({ length: 6 }, (_, index) =>
            registry.datasetVersions.add({
              task: 'name',
              splits: { train: `dataset-${index}` },
              source: 'files',
              message: '',
              actor: 'ada',
            }),
          ),
        );
        expect(added.map((version) => version.number).sort()).toEqual([1, 2, 3, 4, 5, 6]);
      } finally {
        await registry.close();
      }
    });
  });
}
