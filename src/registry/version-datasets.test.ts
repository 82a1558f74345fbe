// The data two versions were made from, as `registry diff` shows it, on a real SQLite registry: a split
// whose file changed names its rows and dataset version on each side; an unchanged split says nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { taskSpec } from '../tasks/index.js';
import { Registry } from './registry.js';
import { diffVersionDatasets, madeFromLatestDatasetVersion } from './version-datasets.js';

const actor = { name: 'ops', scopes: ['read', 'run', 'admin'] };
let folder: string;
let registry: Registry;

beforeEach(async () => {
  folder = mkdtempSync(join(tmpdir(), 'promptune-version-datasets-'));
  registry = await Registry.open({ path: join(folder, 'registry.sqlite') });
  await registry.putTask(taskSpec.parse({ name: 'greet', prompt: { template: '{{input}}' } }));
});
afterEach(async () => {
  await registry.close();
  rmSync(folder, { recursive: true, force: true });
});

/** A data file of `rows` rows stored as greet's `split`. */
const stored = (split: string, rows: number) =>
  registry.putDataset({
    task: 'greet',
    split,
    name: `${split}.jsonl`,
    bytes: new TextEncoder().encode('{"input":"hi","target":"hello"}\n'.repeat(rows)),
    rows,
  });
/** A new version (its content another each time: the same content is the same version). */
let pushes = 0;
const pushed = (datasets: Record<string, string>) =>
  registry
    .pushVersion({
      task: 'greet',
      kind: 'hard',
      content: { template: `${++pushes}: {{input}}` },
      run: { kind: 'optimize', datasets },
      actor,
    })
    .then(({ version }) => version);

describe("a version's datasets in a diff", () => {
  it('names the rows and dataset version of each changed split, on each side', async () => {
    const [train, dev, test] = [await stored('train', 64), await stored('dev', 16), await stored('test', 32)];
    await registry.datasetVersions.add({
      task: 'greet',
      splits: { train, dev, test },
      source: 'files',
      message: '',
      actor: 'ops',
    });
    // corrections: a larger training set, the same test split
    const corrected = await stored('train', 80);
    await registry.datasetVersions.add({
      task: 'greet',
      splits: { train: corrected, dev, test },
      source: 'review:q',
      message: '',
      actor: 'ops',
    });
    const first = await pushed({ train, dev, test });
    const second = await pushed({ train: corrected, dev, test, extra: 'f'.repeat(64) });
    expect(await diffVersionDatasets(registry, first, second)).toEqual([
      '@@ datasets',
      '- train: 64 rows, dataset version 1',
      '+ train: 80 rows, dataset version 2',
      `+ extra: a file not stored (${'f'.repeat(12)})`,
    ]);
    expect(await diffVersionDatasets(registry, second, first)).toEqual([
      '@@ datasets',
      '- train: 80 rows, dataset version 2',
      '+ train: 64 rows, dataset version 1',
      `- extra: a file not stored (${'f'.repeat(12)})`,
    ]);
    expect(await diffVersionDatasets(registry, first, first)).toEqual([]);
    // made from the latest dataset version exactly: a re-tune with its settings makes it again
    const onLatest = await pushed({ train: corrected, dev, test });
    expect(await madeFromLatestDatasetVersion(registry, onLatest)).toBe(2);
    expect(await madeFromLatestDatasetVersion(registry, first)).toBeUndefined();
    expect(await madeFromLatestDatasetVersion(registry, second)).toBeUndefined(); // a split more
  });

  it('says nothing of versions whose lineage names no data, and a file in no dataset version by its rows', async () => {
    const bare = await registry
      .pushVersion({ task: 'greet', kind: 'hard', content: { template: 'B: {{input}}' }, actor })
      .then(({ version }) => version);
    expect(await diffVersionDatasets(registry, bare, bare)).toEqual([]);
    const loose = await pushed({ train: await stored('train', 8) });
    expect(await diffVersionDatasets(registry, bare, loose)).toEqual(['@@ datasets', '+ train: 8 rows']);
  });
});
