// The drift reader's memory of training references: one per served version it measured, the least
// recently used dropped past a bound, so a service whose labels move (a version a day from the closed
// loop) does not keep every earlier version's training data.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryRoot } from '../../test/models.js';
import { Registry, registerTask, type PromptVersion } from '../registry/index.js';
import { loadTask } from '../tasks/index.js';
import { keptTrainingReferences, trainingDataDrift } from './drift-reader.js';

const folder = mkdtempSync(join(tmpdir(), 'promptune-drift-reader-'));
const actor = { name: 'test', scopes: ['read', 'run', 'admin'] };
let registry: Registry;
const versions: PromptVersion[] = [];

beforeAll(async () => {
  registry = await Registry.open({ path: join(folder, 'registry.sqlite') });
  const task = loadTask(join(repositoryRoot, 'examples', 'name.yaml'));
  const datasets = await registerTask(registry, task);
  // more versions than are kept, each tuned on the task's training split
  for (let number = 0; number < keptTrainingReferences + 4; number++) {
    const { version } = await registry.pushVersion({
      task: 'name',
      kind: 'hard',
      content: { template: `${task.spec.prompt.template} (${number})`, demos: [] },
      run: { kind: 'manual', datasets },
      actor,
    });
    versions.push(version);
  }
}, 60_000);
afterAll(async () => {
  await registry?.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('trainingDataDrift', () => {
  it('keeps the references of the versions it measured lately, within its bound', async () => {
    const references = new Map();
    const window = { since: 0, until: Date.now() };
    for (const version of versions) {
      await trainingDataDrift(registry, { task: 'name', version: version.id }, window, {}, references);
      expect(references.size).toBeLessThanOrEqual(keptTrainingReferences);
    }
    // the most recent one is kept, the first ones went
    expect(references.has(versions.at(-1)!.id)).toBe(true);
    expect(references.has(versions[0].id)).toBe(false);
  });

  it("refuses a stored spec today's schema does not take with a code, not a bare ZodError", async () => {
    // a spec row as a release with another schema may have left it
    const database = new Database(join(folder, 'registry.sqlite'));
    const stored = JSON.parse(
      (
        database.prepare('select spec from task_specs where id = ?').get(versions[0].specId) as {
          spec: string;
        }
      ).spec,
    ) as Record<string, unknown>;
    database
      .prepare('update task_specs set spec = ? where id = ?')
      .run(JSON.stringify({ ...stored, metrics: [] }), versions[0].specId);
    database.close();
    const window = { since: 0, until: Date.now() };
    await expect(
      trainingDataDrift(registry, { task: 'name', version: versions[0].id }, window),
    ).rejects.toMatchObject({
      code: 'REGISTRY_VERSION_UNSERVABLE',
    });
  });
});
