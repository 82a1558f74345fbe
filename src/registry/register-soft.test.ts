// Registering a soft prompt from an adapter folder: PEFT's own adapter (no promptune.json) becomes a
// soft version serving with the given spec, its vectors a blob, its data a dataset counted by rows;
// pushing the same folder again makes no new version.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedModels } from '../../test/models.js';
import { taskSpec } from '../tasks/index.js';
import { pushSoftPrompt } from './register-soft.js';
import { Registry } from './registry.js';

describe('pushSoftPrompt', () => {
  it("registers PEFT's adapter as a soft version with its data, once", async () => {
    const folder = mkdtempSync(join(tmpdir(), 'promptune-soft-push-'));
    const adapterDirectory = join(sharedModels, 'stories260K-hf', 'peft-prompt-tuning-example');
    writeFileSync(
      join(folder, 'train.jsonl'),
      '{"text":"Once","label":" Lily"}\n\n{"text":"Tim","label":" Tim"}\n',
    );
    const spec = taskSpec.parse({
      name: 'names',
      input: { fields: ['text'] },
      prompt: { template: '{{text}}' },
      data: { targetField: 'label' },
    });
    const registry = await Registry.open({ path: join(folder, 'registry.sqlite') });
    try {
      const actor = { name: 'test', scopes: ['read', 'run'] };
      const push = {
        spec,
        adapterDirectory,
        datasets: { train: join(folder, 'train.jsonl') },
        run: { model: 'stories260K' },
        actor,
      };
      const first = await pushSoftPrompt(registry, push);
      expect(first.created).toBe(true);
      expect(first.version).toMatchObject({ task: 'names', kind: 'soft', number: 1 });
      expect(first.version.content.promptune).toBeUndefined();
      expect(first.version.content.adapterConfig).toMatchObject({ peft_type: 'PROMPT_TUNING' });
      const vectors = await registry.getBlob(String(first.version.content.adapterBlob));
      expect(
        Buffer.from(vectors).equals(readFileSync(join(adapterDirectory, 'adapter_model.safetensors'))),
      ).toBe(true);
      expect((await registry.listDatasets('names')).map(({ split, rows }) => ({ split, rows }))).toEqual([
        { split: 'train', rows: 2 },
      ]);
      // what a service keeps for it: 16 vectors of 64, in the file's 4,216 bytes (its header included)
      expect(first.version.run).toMatchObject({
        kind: 'soft-train',
        model: 'stories260K',
        adapter: { values: 16 * 64, bytes: 4216 },
      });
      const again = await pushSoftPrompt(registry, push);
      expect(again).toMatchObject({ created: false, version: { id: first.version.id } });
    } finally {
      await registry.close();
    }
  });
});
