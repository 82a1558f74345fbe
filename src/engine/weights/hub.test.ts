// hf: references against a local stand-in for the Hugging Face hub on 127.0.0.1 that serves
// stories260K-hf with the hub's routes (tree listing, resolve with Range). Covers an interrupted
// download resuming from where it stopped, cached use without network, and the offline error.
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff, referenceLogits, stories } from '../../../test/models.js';
import { DownloadError, PromptuneError } from '../../errors/index.js';
import { loadModel } from '../load-model.js';
import { hubFolder, parseHubReference, resolveHubReference } from './hub.js';

const repo = 'karpathy/stories260K';
const files = readdirSync(stories.huggingFace).filter((file) =>
  statSync(join(stories.huggingFace, file)).isFile(),
);
let server: Server;
let hubUrl = '';
const requests: { path: string; range: string | undefined }[] = [];
let cutAfter: number | undefined; // bytes of model.safetensors to send before dropping the connection

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = new URL(request.url!, 'http://localhost');
    requests.push({ path: url.pathname, range: request.headers.range });
    if (url.pathname === `/api/models/${repo}/tree/main`) {
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify(
          files.map((file) => ({
            type: 'file',
            path: file,
            size: statSync(join(stories.huggingFace, file)).size,
            oid: file,
          })),
        ),
      );
      return;
    }
    const prefix = `/${repo}/resolve/main/`;
    const file = url.pathname.startsWith(prefix) ? decodeURIComponent(url.pathname.slice(prefix.length)) : '';
    if (!files.includes(file)) {
      response.writeHead(404, { 'X-Error-Code': 'EntryNotFound' });
      response.end('not found');
      return;
    }
    const bytes = readFileSync(join(stories.huggingFace, file));
    const match = /bytes=(\d+)-(\d*)/.exec(request.headers.range ?? '');
    const start = match ? Number(match[1]) : 0;
    const end = match && match[2] ? Number(match[2]) + 1 : bytes.length;
    response.writeHead(match ? 206 : 200, {
      ETag: `"${file}"`,
      'Content-Length': end - start,
      ...(match ? { 'Content-Range': `bytes ${start}-${end - 1}/${bytes.length}` } : {}),
    });
    if (file === 'model.safetensors' && cutAfter !== undefined && end - start > 1) {
      response.write(bytes.subarray(start, start + cutAfter));
      setTimeout(() => response.destroy(), 20);
      return;
    }
    response.end(bytes.subarray(start, end));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  hubUrl = `http://127.0.0.1:${address.port}`;
});

afterAll(() => server?.close());

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
    cutAfter = 300_000;
    await expect(resolveHubReference(`hf:${repo}`, { cacheDirectory, hubUrl })).rejects.toBeInstanceOf(
      DownloadError,
    );
    const partial = join(folder, 'model.safetensors.incomplete');
    expect(statSync(partial).size).toBe(300_000);
    expect(existsSync(join(folder, 'model.safetensors'))).toBe(false);

    cutAfter = undefined;
    requests.length = 0;
    const path = await resolveHubReference(`hf:${repo}`, { cacheDirectory, hubUrl });
    expect(path).toBe(folder);
    const ranges = requests
      .filter((request) => request.path.endsWith('model.safetensors'))
      .map((request) => request.range);
    expect(ranges).toContain(
      `bytes=300000-${statSync(join(stories.huggingFace, 'model.safetensors')).size - 1}`,
    );
    expect(
      readFileSync(join(folder, 'model.safetensors')).equals(
        readFileSync(join(stories.huggingFace, 'model.safetensors')),
      ),
    ).toBe(true);

    requests.length = 0;
    const { model, info } = await loadModel(`hf:${repo}`, {
      hub: { cacheDirectory, hubUrl: 'http://127.0.0.1:9' },
    });
    expect(requests).toEqual([]);
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
    const error = await resolveHubReference(`hf:${repo}/nope.gguf`, { cacheDirectory, hubUrl }).catch(
      (caught: unknown) => caught,
    );
    expect(PromptuneError.isInstance(error) && error.code).toBe('HUB_FILE_NOT_FOUND');
  });
});
