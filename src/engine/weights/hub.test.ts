// hf: references against a local stand-in for the Hugging Face hub (test/hub-server.ts) serving
// stories260K-hf. Covers an interrupted download resuming from where it stopped, cached use without
// network, and the offline error. The Hugging Face cache, HF_HUB_OFFLINE and the hub's other answers:
// hub-cache.test.ts.
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startHubServer, type HubServer } from '../../../test/hub-server.js';
import { maxAbsDiff, referenceLogits, stories } from '../../../test/models.js';
import { DownloadError, PromptuneError } from '../../errors/index.js';
import { loadModel } from '../load-model.js';
import { hubFolder, parseHubReference, resolveHubReference } from './hub.js';

const repo = 'karpathy/stories260K';
let hub: HubServer;

beforeAll(async () => {
  hub = await startHubServer(repo, stories.huggingFace);
});

afterAll(() => hub?.close());

// the machine's Hugging Face cache and offline settings stay out of these tests (hub-cache.test.ts has theirs)
beforeEach(() => {
  vi.stubEnv('HF_HUB_CACHE', mkdtempSync(join(tmpdir(), 'promptune-hf-')));
  vi.stubEnv('HF_HUB_OFFLINE', undefined);
  vi.stubEnv('TRANSFORMERS_OFFLINE', undefined);
});
afterEach(() => vi.unstubAllEnvs());

describe('hub references', () => {
  it('parses org/name, revision and file', () => {
    expect(parseHubReference('hf:org/name')).toEqual({ repo: 'org/name', revision: 'main', file: undefined });
    expect(parseHubReference('hf:org/name@v1.0/model-Q8_0.gguf')).toEqual({
      repo: 'org/name',
      revision: 'v1.0',
      file: 'model-Q8_0.gguf',
    });
    expect(() => parseHubReference('hf:just-a-name')).toThrow(PromptuneError);
  });

  it('resumes an interrupted download, then loads the model from the cache without the network', async () => {
    const cacheDirectory = mkdtempSync(join(tmpdir(), 'promptune-hub-'));
    const folder = hubFolder(parseHubReference(`hf:${repo}`), cacheDirectory);
    hub.cut = { file: 'model.safetensors', after: 300_000 };
    await expect(
      resolveHubReference(`hf:${repo}`, { cacheDirectory, hubUrl: hub.url }),
    ).rejects.toBeInstanceOf(DownloadError);
    const partial = join(folder, 'model.safetensors.incomplete');
    // what arrived before the server's cut: all 300,000 bytes, or fewer when the reset overtook some
    // of them on a loaded machine (130,917 once in CI)
    const kept = statSync(partial).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(300_000);
    expect(existsSync(join(folder, 'model.safetensors'))).toBe(false);

    hub.cut = undefined;
    hub.requests.length = 0;
    const path = await resolveHubReference(`hf:${repo}`, { cacheDirectory, hubUrl: hub.url });
    expect(path).toBe(folder);
    const ranges = hub.requests
      .filter((request) => request.path.endsWith('model.safetensors'))
      .map((request) => request.range);
    expect(ranges).toContain(
      `bytes=${kept}-${statSync(join(stories.huggingFace, 'model.safetensors')).size - 1}`,
    );
    expect(
      readFileSync(join(folder, 'model.safetensors')).equals(
        readFileSync(join(stories.huggingFace, 'model.safetensors')),
      ),
    ).toBe(true);

    hub.requests.length = 0;
    const { model, info } = await loadModel(`hf:${repo}`, {
      hub: { cacheDirectory, hubUrl: 'http://127.0.0.1:9' },
    });
    expect(hub.requests).toEqual([]);
    expect(info.format).toBe('safetensors');
    const reference = referenceLogits();
    const logits = model.forward({ batch: 1, time: 16, tokens: Int32Array.from(reference.fixed_tokens) });
    expect(maxAbsDiff(logits, reference.logits.flat())).toBeLessThan(1e-4);
  });

  it('offline with nothing cached, names the files to place by hand and where', async () => {
    const cacheDirectory = mkdtempSync(join(tmpdir(), 'promptune-hub-'));
    const error = await resolveHubReference('hf:org/missing', {
      cacheDirectory,
      hubUrl: 'http://127.0.0.1:9',
    }).catch((caught: unknown) => caught);
    expect(PromptuneError.isInstance(error) && error.code).toBe('HUB_UNREACHABLE');
    expect((error as PromptuneError).hint).toContain('model.safetensors');
    expect((error as PromptuneError).hint).toContain(
      hubFolder(parseHubReference('hf:org/missing'), cacheDirectory),
    );
  });

  it('a missing file in the repository', async () => {
    const cacheDirectory = mkdtempSync(join(tmpdir(), 'promptune-hub-'));
    const error = await resolveHubReference(`hf:${repo}/nope.gguf`, {
      cacheDirectory,
      hubUrl: hub.url,
    }).catch((caught: unknown) => caught);
    expect(PromptuneError.isInstance(error) && error.code).toBe('HUB_FILE_NOT_FOUND');
  });
});
