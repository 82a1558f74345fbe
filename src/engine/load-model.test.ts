// inspectModel reads the same facts loadModel reports, from headers and configs alone: it answers for
// every format, and for a GGUF file whose tensor data is cut off, which loadModel must refuse.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stories } from '../../test/models.js';
import { PromptuneError } from '../errors/index.js';
import { inspectModel, loadModel } from './load-model.js';
import { readGgufHeader, tokenizerMetadata } from './weights/gguf.js';
import { writeGguf } from './weights/gguf-writer.js';

describe('inspectModel', () => {
  it.each([
    ['GGUF', stories.gguf],
    ['llama2.c', stories.llama2c],
    ['Hugging Face directory', stories.huggingFace],
  ])('reports what loadModel reports for the %s model', async (_format, path) => {
    const { info } = await loadModel(path);
    expect(await inspectModel(path)).toEqual(info);
  });

  it('takes the local: names eval and the service take (it was MODEL_NOT_FOUND)', async () => {
    const { info } = await loadModel(stories.gguf);
    expect((await loadModel(`local:${stories.gguf}`)).info).toEqual(info);
    expect(await inspectModel(`local:${stories.gguf}`)).toEqual(info);
  });

  it('does not read the layer weights: a GGUF file cut off in its layer data is still described', async () => {
    // written by our writer with the classifier tied (no output.weight), the embedding first
    const { model } = await loadModel(stories.gguf);
    const { typedMetadata, reader } = await readGgufHeader(stories.gguf);
    reader.close();
    const folder = mkdtempSync(join(tmpdir(), 'promptune-inspect-'));
    const whole = join(folder, 'whole.gguf');
    writeGguf(whole, model.config, model.weights, { metadata: tokenizerMetadata(typedMetadata) });
    const bytes = readFileSync(whole);
    const cut = join(folder, 'cut.gguf');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 50_000));
    const info = await inspectModel(cut);
    expect(info).toEqual({ ...(await inspectModel(whole)), reference: cut, path: cut });
    expect(info).toMatchObject({ format: 'gguf', parameters: 260032, vocabularySize: 512 });
    const refused = await loadModel(cut).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(PromptuneError.isInstance(refused) && refused.code).toBe('WEIGHT_TRUNCATED');
  });

  it("reads a Hugging Face directory's weight headers: an empty or missing weight file is said", async () => {
    for (const [name, make, code] of [
      ['empty', (path: string) => writeFileSync(path, ''), 'WEIGHT_TRUNCATED'],
      ['a folder', (path: string) => mkdirSync(path), 'PATH_IS_A_FOLDER'],
    ] as const) {
      const folder = mkdtempSync(join(tmpdir(), 'promptune-inspect-hf-'));
      cpSync(stories.huggingFace, folder, { recursive: true });
      rmSync(join(folder, 'model.safetensors'));
      make(join(folder, 'model.safetensors'));
      const refused = await inspectModel(folder).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(PromptuneError.isInstance(refused) && refused.code, name).toBe(code);
    }
  });
});
