// A version read back from the registry by code: a hard version's spec carries its own prompt and
// generation settings (not the task's latest), a soft version's adapter comes back as the folder it was
// pushed from, which loadAdapter reads on its model, and a hard version has no adapter to give.
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stories } from '../../test/models.js';
import { loadModel } from '../engine/index.js';
import { loadAdapter } from '../soft/index.js';
import { taskFromObject, taskSpec } from '../tasks/index.js';
import { pushSoftPrompt } from './register-soft.js';
import { Registry } from './registry.js';
import { versionAdapter, versionSpec, writeVersionAdapter } from './version-files.js';
import { hardVersionContent } from './versions.js';

const actor = { name: 'test', scopes: ['read', 'run'] };
const spec = taskSpec.parse({
  name: 'names',
  input: { fields: ['text'] },
  prompt: { template: '{{text}}\nThe name is' },
  generation: { maxTokens: 4 },
});

async function withRegistry(work: (registry: Registry, folder: string) => Promise<void>) {
  const folder = mkdtempSync(join(tmpdir(), 'promptune-version-files-'));
  const registry = await Registry.open({ path: join(folder, 'registry.sqlite') });
  try {
    await work(registry, folder);
  } finally {
    await registry.close();
  }
}

describe('reading a version back', () => {
  it("gives a hard version's own prompt and generation over its spec, as a task", async () => {
    await withRegistry(async (registry) => {
      await registry.putTask(spec);
      const first = await registry.pushVersion({
        task: 'names',
        kind: 'hard',
        content: hardVersionContent(spec),
        actor,
      });
      const changed = {
        ...spec,
        prompt: { ...spec.prompt, system: 'Answer with a name.', template: 'Story: {{text}}\nName:' },
        generation: { ...spec.generation, maxTokens: 6, stop: ['\n'] },
      };
      const second = await registry.pushVersion({
        task: 'names',
        kind: 'hard',
        content: hardVersionContent(changed),
        actor,
      });
      const read = await versionSpec(registry, second.version);
      expect(read.prompt).toMatchObject({
        system: 'Answer with a name.',
        template: 'Story: {{text}}\nName:',
      });
      expect(read.generation).toMatchObject({ maxTokens: 6, stop: ['\n'] });
      const earlier = await versionSpec(registry, await registry.resolveVersion('names', '1'));
      expect(earlier.prompt.template).toBe(spec.prompt.template);
      expect(earlier.generation.maxTokens).toBe(4);
      expect(taskFromObject(read, 'names@2').spec).toEqual(read);
      await expect(versionAdapter(registry, first.version)).rejects.toMatchObject({
        code: 'REGISTRY_NOT_SOFT',
      });
    });
  });

  it('reads a spec an older promptune stored with a policy that asks for no audit (it took one)', async () => {
    await withRegistry(async (registry, folder) => {
      await registry.putTask(spec);
      const { version } = await registry.pushVersion({
        task: 'names',
        kind: 'hard',
        content: hardVersionContent(spec),
        actor,
      });
      // the row as promptune before the policy's check stored it: today's spec files may not say this,
      // and the version it serves must still be served, evaluated and read after the upgrade
      const database = new Database(join(folder, 'registry.sqlite'));
      database
        .prepare('update task_specs set spec = ? where id = ?')
        .run(
          JSON.stringify({ ...spec, audit: { policy: { labels: ['production'], minExamples: 30 } } }),
          version.specId,
        );
      database.close();
      const read = await versionSpec(registry, version);
      expect(read.audit?.policy).toEqual({ labels: ['production'], minExamples: 30 });
      expect(taskFromObject(read, 'names@1').spec.prompt.template).toBe(spec.prompt.template);
    });
  });

  it("writes a soft version's adapter folder back, which loadAdapter reads on its model", async () => {
    await withRegistry(async (registry, folder) => {
      const adapterDirectory = join(stories.huggingFace, 'peft-prompt-tuning-example');
      const { version } = await pushSoftPrompt(registry, { spec, adapterDirectory, actor });
      const written = await writeVersionAdapter(registry, version, join(folder, 'names-1'));
      const weights = (from: string) => readFileSync(join(from, 'adapter_model.safetensors'));
      expect(weights(written).equals(weights(adapterDirectory))).toBe(true);
      const config = (from: string) => JSON.parse(readFileSync(join(from, 'adapter_config.json'), 'utf8'));
      expect(config(written)).toEqual(config(adapterDirectory));
      const { model } = await loadModel(stories.huggingFace);
      const pushed = loadAdapter(adapterDirectory, model).prompt;
      const read = loadAdapter(written, model).prompt;
      expect(read.values).toEqual(pushed.values);
      expect((await versionSpec(registry, version)).prompt.template).toBe(spec.prompt.template);
    });
  });
});
