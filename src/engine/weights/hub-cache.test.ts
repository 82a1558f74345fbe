// hf: references served from disk: the Hugging Face cache (HF_HUB_CACHE, HF_HOME, ~/.cache), a sharded
// model placed by hand in promptune's cache, HF_HUB_OFFLINE; and the failures the hub can answer with,
// each with its own code (missing, gated, dropped mid-download, unreachable). Against test/hub-server.ts.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startHubServer, type HubServer } from '../../../test/hub-server.js';
import { writeStoriesCheckpoint } from '../../../test/checkpoints.js';
import { stories } from '../../../test/models.js';
import { PromptuneError } from '../../errors/index.js';
import { loadModel } from '../load-model.js';
import { hubFolder, parseHubReference, resolveHubReference, type HubOptions } from './hub.js';

const repo = 'karpathy/stories260K';
const commit = 'a'.repeat(40);
const unreachable = 'http://127.0.0.1:9';
let hub: HubServer;

beforeAll(async () => {
  hub = await startHubServer(repo, stories.huggingFace);
});
afterAll(() => hub?.close());

beforeEach(() => {
  // the machine's own settings stay out: each test says where its caches are
  for (const name of [
    'HF_HUB_CACHE',
    'HF_HOME',
    'HF_HUB_OFFLINE',
    'TRANSFORMERS_OFFLINE',
    'HF_ENDPOINT',
    'HF_TOKEN',
  ])
    vi.stubEnv(name, undefined);
  vi.stubEnv('HOME', mkdtempSync(join(tmpdir(), 'promptune-home-')));
  hub.requests.length = 0;
  hub.refuse = undefined;
  hub.cut = undefined;
});
afterEach(() => vi.unstubAllEnvs());

const temporary = (prefix: string) => mkdtempSync(join(tmpdir(), `promptune-${prefix}-`));

/**
 * A Hugging Face cache as huggingface_hub leaves it: blobs, a snapshot of symbolic links to them, and
 * refs/{revision} naming the commit.
 */
function writeHuggingFaceCache(
  cache: string,
  options: { sharded?: boolean; without?: string[]; revision?: string; name?: string } = {},
): string {
  const root = join(cache, `models--${(options.name ?? repo).replace('/', '--')}`);
  const staged = temporary('staged');
  writeStoriesCheckpoint(staged, options);
  const snapshot = join(root, 'snapshots', commit);
  mkdirSync(join(root, 'blobs'), { recursive: true });
  mkdirSync(snapshot, { recursive: true });
  for (const [index, file] of readdirSync(staged).entries()) {
    if (options.without?.includes(file)) continue;
    copyFileSync(join(staged, file), join(root, 'blobs', `blob${index}`));
    symlinkSync(join('..', '..', 'blobs', `blob${index}`), join(snapshot, file));
  }
  mkdirSync(join(root, 'refs'), { recursive: true });
  writeFileSync(join(root, 'refs', options.revision ?? 'main'), `${commit}\n`);
  return snapshot;
}

async function failure(text: string, options: HubOptions): Promise<PromptuneError> {
  const error = await resolveHubReference(text, options).catch((caught: unknown) => caught);
  expect(PromptuneError.isInstance(error), String(error)).toBe(true);
  return error as PromptuneError;
}

describe('the Hugging Face cache', () => {
  it.each([
    ['HF_HUB_CACHE', (root: string) => (vi.stubEnv('HF_HUB_CACHE', root), root)],
    ['$HF_HOME/hub', (root: string) => (vi.stubEnv('HF_HOME', root), join(root, 'hub'))],
    [
      '~/.cache/huggingface/hub',
      (root: string) => (vi.stubEnv('HOME', root), join(root, '.cache', 'huggingface', 'hub')),
    ],
  ])('a complete snapshot under %s is used without the network, and loads', async (_, place) => {
    const snapshot = writeHuggingFaceCache(place(temporary('hf')));
    const cacheDirectory = temporary('hub');
    const path = await resolveHubReference(`hf:${repo}`, { cacheDirectory, hubUrl: hub.url });
    expect(path).toBe(snapshot);
    expect(hub.requests).toEqual([]);
    const { info } = await loadModel(`hf:${repo}`, { hub: { cacheDirectory, hubUrl: unreachable } });
    expect(info.path).toBe(snapshot);
  });

  it('a sharded snapshot is used at the revision its ref names; a GGUF file by name', async () => {
    const cache = temporary('hf');
    const snapshot = writeHuggingFaceCache(cache, { sharded: true, revision: 'v1' });
    const options = { cacheDirectory: temporary('hub'), huggingFaceCache: cache, hubUrl: unreachable };
    expect(await resolveHubReference(`hf:${repo}@v1`, options)).toBe(snapshot);
    expect(await resolveHubReference(`hf:${repo}@${commit}`, options)).toBe(snapshot);
    writeFileSync(join(snapshot, 'model-Q8_0.gguf'), 'GGUF');
    expect(await resolveHubReference(`hf:${repo}@v1/model-Q8_0.gguf`, options)).toBe(
      join(snapshot, 'model-Q8_0.gguf'),
    );
  });

  it('an incomplete snapshot (a shard or tokenizer.json missing) is not used: the hub is, and the cache stays as it was', async () => {
    for (const without of [['model-00002-of-00002.safetensors'], ['tokenizer.json']]) {
      const cache = temporary('hf');
      const snapshot = writeHuggingFaceCache(cache, { sharded: true, without });
      const before = readdirSync(snapshot).sort();
      const cacheDirectory = temporary('hub');
      hub.requests.length = 0;
      const path = await resolveHubReference(`hf:${repo}`, {
        cacheDirectory,
        huggingFaceCache: cache,
        hubUrl: hub.url,
      });
      expect(path).toBe(hubFolder(parseHubReference(`hf:${repo}`), cacheDirectory));
      expect(hub.requests.length).toBeGreaterThan(0);
      expect(readdirSync(snapshot).sort()).toEqual(before);
    }
  });
});

describe('HF_HUB_OFFLINE and TRANSFORMERS_OFFLINE', () => {
  it.each(['HF_HUB_OFFLINE', 'TRANSFORMERS_OFFLINE'])(
    '%s=1 with nothing cached asks no one and says where it looked',
    async (variable) => {
      vi.stubEnv(variable, '1');
      const cache = temporary('hf');
      const snapshot = writeHuggingFaceCache(cache, {
        sharded: true,
        without: ['model-00002-of-00002.safetensors'],
      });
      const cacheDirectory = temporary('hub');
      const error = await failure(`hf:${repo}`, { cacheDirectory, huggingFaceCache: cache, hubUrl: hub.url });
      expect(error.code).toBe('HUB_OFFLINE_NOT_CACHED');
      expect(hub.requests).toEqual([]);
      expect(error.message).toContain(hubFolder(parseHubReference(`hf:${repo}`), cacheDirectory));
      expect(error.message).toContain(`${snapshot} (missing model-00002-of-00002.safetensors)`);
      expect(error.hint).toContain('model.safetensors.index.json');
    },
  );

  it('offline with the model cached, it is used', async () => {
    vi.stubEnv('HF_HUB_OFFLINE', '1');
    const cache = temporary('hf');
    const snapshot = writeHuggingFaceCache(cache);
    expect(
      await resolveHubReference(`hf:${repo}`, {
        cacheDirectory: temporary('hub'),
        huggingFaceCache: cache,
        hubUrl: hub.url,
      }),
    ).toBe(snapshot);
    expect(hub.requests).toEqual([]);
  });
});

describe("a sharded model placed by hand in promptune's cache", () => {
  it('is used without a marker file or the network, and loads', async () => {
    const cacheDirectory = temporary('hub');
    const folder = hubFolder(parseHubReference('hf:myorg/tiny'), cacheDirectory);
    writeStoriesCheckpoint(folder, { sharded: true });
    const options = { cacheDirectory, huggingFaceCache: temporary('hf'), hubUrl: unreachable };
    expect(await resolveHubReference('hf:myorg/tiny', options)).toBe(folder);
    const { info } = await loadModel('hf:myorg/tiny', { hub: options });
    expect(info.path).toBe(folder);
  });

  it('with a shard missing, the unreachable hub is named and the hint says how to place a sharded model', async () => {
    const cacheDirectory = temporary('hub');
    const folder = hubFolder(parseHubReference('hf:myorg/tiny'), cacheDirectory);
    writeStoriesCheckpoint(folder, { sharded: true });
    const { rmSync } = await import('node:fs');
    rmSync(join(folder, 'model-00002-of-00002.safetensors'));
    const error = await failure('hf:myorg/tiny', {
      cacheDirectory,
      huggingFaceCache: temporary('hf'),
      hubUrl: unreachable,
    });
    expect(error.code).toBe('HUB_UNREACHABLE');
    expect(error.hint).toMatch(/model\.safetensors\.index\.json and every .*shard it names/);
    expect(error.hint).toContain(folder);
  });
});

describe('what the hub answers, each its own code', () => {
  const options = () => ({
    cacheDirectory: temporary('hub'),
    huggingFaceCache: temporary('hf'),
    hubUrl: hub.url,
  });

  it.each([
    [404, 'Repository not found', 'HUB_NOT_FOUND', /Check the repository id/],
    [401, 'Repository not found', 'HUB_NOT_FOUND', /Check the repository id/],
    [401, 'Invalid credentials in Authorization header', 'HUB_UNAUTHORIZED', /HF_TOKEN/],
    [
      403,
      'Access to model karpathy/stories260K is restricted',
      'HUB_UNAUTHORIZED',
      /accept its terms.*HF_TOKEN/,
    ],
  ])('%i "%s" is %s', async (status, message, code, hint) => {
    hub.refuse = { status, error: message };
    const error = await failure(`hf:${repo}`, options());
    expect(error.code).toBe(code);
    expect(error.hint).toMatch(hint);
    expect(error.hint).toContain(`${hub.url}/${repo}`);
    expect(error.hint).not.toContain('If this machine is offline');
  });

  it('a repository the mock hub does not have is not found', async () => {
    expect((await failure('hf:org/missing', options())).code).toBe('HUB_NOT_FOUND');
  });

  it('a connection dropped mid-download says it was interrupted and that a rerun resumes', async () => {
    hub.cut = { file: 'model.safetensors', after: 300_000 };
    const error = await failure(`hf:${repo}`, options());
    expect(error.code).toBe('HUB_INTERRUPTED');
    expect(error.message).toMatch(/model\.safetensors .*interrupted/);
    expect(error.hint).toMatch(/run the command again: it resumes/);
  });

  it('an unreachable host gets the offline hint, linking HF_ENDPOINT rather than huggingface.co', async () => {
    vi.stubEnv('HF_ENDPOINT', unreachable);
    const error = await failure('hf:org/missing', {
      cacheDirectory: temporary('hub'),
      huggingFaceCache: temporary('hf'),
    });
    expect(error.code).toBe('HUB_UNREACHABLE');
    expect(error.hint).toMatch(/^If this machine is offline/);
    expect(error.hint).toContain(`${unreachable}/org/missing`);
    expect(error.hint).not.toContain('huggingface.co');
  });
});
