// The writers lay files out by bytes: the safetensors header is padded to a multiple of 8 bytes (not
// characters) whatever its metadata, and GGUF tensor data sits at multiples of the file's alignment
// with non-ASCII strings in its metadata. Each file is read back by our readers.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stories } from '../../../test/models.js';
import { PromptuneError } from '../../errors/index.js';
import { loadModel } from '../load-model.js';
import { loadGguf, readGgufHeader, tokenizerMetadata } from './gguf.js';
import { GgufType, interleaveHeads, rotateHalfHeads, writeGguf } from './gguf-writer.js';
import { matrixFloat32 } from './matrix-float32.js';
import { openSafetensors } from './safetensors.js';
import { writeSafetensors } from './safetensors-writer.js';

const directory = mkdtempSync(join(tmpdir(), 'promptune-writers-'));

describe('safetensors writer', () => {
  // each note makes the JSON's byte length differ from its character length by a different amount
  it.each([
    ['ASCII', 'plain'],
    ['one two-byte character', 'café'],
    ['a four-byte character', '🦙'],
    ['mixed, 11 extra bytes', 'naïve 日本語 🦙'],
    ['empty', ''],
  ])('pads the header to 8 bytes with %s metadata, and reads back', (_case, note) => {
    const path = join(directory, `padded-${note.length}-${Buffer.byteLength(note)}.safetensors`);
    const values = Float32Array.from({ length: 6 }, (_, i) => i / 3 - 1);
    writeSafetensors(path, { prompt_embeddings: { shape: [2, 3], data: values } }, { note });
    const bytes = readFileSync(path);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect(headerLength % 8).toBe(0);
    expect(bytes.length).toBe(8 + headerLength + values.byteLength);
    const header = bytes.subarray(8, 8 + headerLength).toString('utf8');
    expect(JSON.parse(header).__metadata__).toEqual({ note });
    expect(header.trimEnd()).toBe(JSON.stringify(JSON.parse(header))); // padding is trailing spaces only
    const source = openSafetensors([path]);
    try {
      expect(source.shape('prompt_embeddings')).toEqual([2, 3]);
      expect(source.read('prompt_embeddings')).toEqual(values);
    } finally {
      source.close();
    }
  });
});

describe('GGUF writer', () => {
  it.each([
    ['the default alignment and a non-ASCII name', 'café 🦙 ストーリー', undefined],
    ['general.alignment 64 from the extra metadata', 'naïve', 64],
  ])('aligns tensor data by bytes with %s', async (_case, name, alignment) => {
    const { model } = await loadModel(stories.gguf);
    const path = join(directory, `aligned-${alignment ?? 32}.gguf`);
    writeGguf(path, model.config, model.weights, {
      name,
      metadata: {
        ...tokenizerMetadata((await loadGguf(stories.gguf)).typedMetadata),
        ...(alignment ? { 'general.alignment': { type: GgufType.UINT32, value: alignment } } : {}),
      },
    });
    const header = await readGgufHeader(path);
    header.reader.close();
    expect(header.metadata['general.name']).toBe(name);
    for (const tensor of header.tensors.values()) expect(tensor.offset % (alignment ?? 32)).toBe(0);
    const loaded = await loadGguf(path);
    expect(loaded.weights.embedding).toEqual(model.weights.embedding);
    expect(loaded.weights.layers[4].down).toEqual(model.weights.layers[4].down);
  });

  it('refuses an alignment that is not a power of two, and leaves no file behind', async () => {
    const { model } = await loadModel(stories.gguf);
    const folder = mkdtempSync(join(directory, 'bad-alignment-'));
    let caught: unknown;
    try {
      writeGguf(join(folder, 'model.gguf'), model.config, model.weights, {
        metadata: { 'general.alignment': { type: GgufType.UINT32, value: 24 } },
      });
    } catch (error) {
      caught = error;
    }
    expect(PromptuneError.isInstance(caught) && caught.code).toBe('GGUF_WRITE_INVALID');
    expect(readdirSync(folder)).toEqual([]);
  });
});

describe('RoPE row order', () => {
  it("reorders the GGUF copy's query rows to the Hugging Face copy's, and back", async () => {
    const gguf = await loadModel(stories.gguf);
    const huggingFace = await loadModel(stories.huggingFace);
    const { heads, hiddenSize } = gguf.model.config;
    const interleaved = matrixFloat32(gguf.model.weights.layers[0].query);
    const halved = matrixFloat32(huggingFace.model.weights.layers[0].query);
    expect(interleaved).not.toEqual(halved);
    expect(rotateHalfHeads(interleaved, heads, hiddenSize)).toEqual(halved);
    expect(interleaveHeads(halved, heads, hiddenSize)).toEqual(interleaved);
  });
});
