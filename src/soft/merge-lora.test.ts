// A LoRA merged into its base model's weights gives what the base model with the adapter gives: PEFT's
// logits for its own adapter (fixture: tools/reference/peft_lora.py), on the Hugging Face copy and on the
// GGUF (whose query and key rows are interleaved: the adapter is fitted to them first), written and read
// back; the base model itself is left as it was.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maxAbsDiff, stories } from '../../test/models.js';
import { readPeftFixture, rowLogitsDifference, type FixtureBatch } from '../../test/peft-fixtures.js';
import { loadModel, saveModelLike } from '../engine/index.js';
import { loadLoraAdapter } from './lora-adapter.js';
import { mergeLora } from './merge-lora.js';

const { folder: fixture, reference, tensors } = readPeftFixture<FixtureBatch>('peft-lora');

describe('a LoRA merged into its base model', async () => {
  const B = reference.rows.length;
  const T = Math.max(...reference.rows.map((row) => row.length));
  const tokens = new Int32Array(B * T);
  reference.rows.forEach((row, b) => tokens.set(row, b * T));
  const peft = tensors.get('logits')!;

  it.each([
    ['the Hugging Face copy', stories.huggingFace],
    ['the GGUF', stories.gguf],
  ])(
    "gives PEFT's logits with no adapter, on %s, and leaves the base model as it was",
    async (_name, path) => {
      const loaded = await loadModel(path);
      const { model } = loaded;
      const { adapter } = loadLoraAdapter(join(fixture, 'adapter'), model);
      const V = model.config.vocabularySize;
      const before = model.forward({ batch: B, time: T, tokens });
      const merged = mergeLora(model, adapter);
      const logits = merged.model.forward({ batch: B, time: T, tokens });
      expect(rowLogitsDifference(logits, peft, reference.rows, T, V)).toBeLessThan(2e-4);
      // the base is untouched: its logits are still its own, far from the adapted ones
      expect(maxAbsDiff(model.forward({ batch: B, time: T, tokens }), before)).toBe(0);
      expect(rowLogitsDifference(before, peft, reference.rows, T, V)).toBeGreaterThan(0.1);
      // written in the base's format and read back, it answers the same
      const directory = mkdtempSync(join(tmpdir(), 'promptune-merged-'));
      const written = await saveModelLike(directory, merged.model, loaded.info);
      const again = (await loadModel(written)).model.forward({ batch: B, time: T, tokens });
      expect(rowLogitsDifference(again, peft, reference.rows, T, V)).toBeLessThan(2e-4);
    },
  );
});
