// `hf:<org>/<name>[@revision][/<file>]` references: files fetched from the Hugging Face hub with
// @huggingface/hub into a cache directory, resuming partial downloads (Range requests on the file's
// blob). Files already in promptune's cache or the Hugging Face cache are used without the network;
// HF_HUB_OFFLINE forbids it. Not here: reading the files (load-model.ts).
import { createWriteStream, existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { DownloadError, PromptuneError, ValidationError } from '../../errors/index.js';
import { readSafetensorsIndex } from './hf-directory.js';
import {
  huggingFaceCacheDirectory,
  huggingFaceSnapshot,
  missingCheckpointFiles,
  offlineByEnvironment,
} from './hub-cache.js';
import { hubFailure, offlineNotCached, repositoryPage, type HubPlaces } from './hub-errors.js';
import { makeDirectory } from '../make-directory.js';

/** A parsed hub reference. */
export interface HubReference {
  repo: string;
  revision: string;
  file: string | undefined;
}

/** Where hub downloads go by default (PROMPTUNE_CACHE overrides). */
export function defaultCacheDirectory(): string {
  return process.env.PROMPTUNE_CACHE ?? join(homedir(), '.cache', 'promptune', 'hub');
}

/** Parses `hf:org/name[@revision][/file]`. */
export function parseHubReference(reference: string): HubReference {
  const match = /^hf:([\w.-]+\/[\w.-]+)(?:@([\w./-]+?))?(?:\/(.+))?$/.exec(reference);
  // a file or revision with a .. segment would leave the cache folder
  if (!match || [match[2], match[3]].some((part) => part?.split('/').includes('..'))) {
    throw new ValidationError(`"${reference}" is not a hub reference`, {
      code: 'HUB_REFERENCE_INVALID',
      hint: 'Write hf:<org>/<name>, optionally @<revision> and /<file.gguf>, e.g. hf:HuggingFaceTB/SmolLM2-135M.',
    });
  }
  return { repo: match[1], revision: match[2] ?? 'main', file: match[3] };
}

/** Files of a safetensors checkpoint worth fetching; shards come from the index. */
const checkpointFiles = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'model.safetensors',
  'model.safetensors.index.json',
];

/** Options for hub access; `hubUrl` (default: HF_ENDPOINT, else huggingface.co) and `fetch` exist for mirrors and tests. */
export interface HubOptions {
  cacheDirectory?: string;
  /** The Hugging Face cache to read (never written); default HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
  huggingFaceCache?: string;
  /** Use the caches only (default: HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE set to 1). */
  offline?: boolean;
  hubUrl?: string;
  accessToken?: string;
  fetch?: typeof fetch;
  /** Progress of each file, for a progress bar. */
  onProgress?: (file: string, done: number, total: number) => void;
}

/** The local folder of a repo revision in the cache. */
export function hubFolder(reference: HubReference, cacheDirectory = defaultCacheDirectory()): string {
  return join(cacheDirectory, reference.repo.replace('/', '--'), reference.revision);
}

/**
 * Resolves a hub reference to a local path (a GGUF file, or a directory with a safetensors checkpoint):
 * promptune's cache, then the Hugging Face cache, then a download of what is missing into promptune's
 * cache. Offline (or with the network forbidden), it says where it looked and what to place by hand.
 */
export async function resolveHubReference(text: string, options: HubOptions = {}): Promise<string> {
  const reference = parseHubReference(text);
  const folder = hubFolder(reference, options.cacheDirectory);
  const credentials = {
    hubUrl: options.hubUrl ?? (process.env.HF_ENDPOINT || undefined),
    fetch: options.fetch,
    accessToken: options.accessToken ?? process.env.HF_TOKEN,
  };
  const places: HubPlaces = {
    text,
    ...reference,
    folder,
    endpoint: credentials.hubUrl ?? 'https://huggingface.co',
    huggingFaceCache: options.huggingFaceCache ?? huggingFaceCacheDirectory(),
  };
  const cached = cachedPath(places);
  if (cached) return cached;
  if (options.offline ?? offlineByEnvironment()) throw offlineNotCached(places, lookedIn(places));

  const repo = { type: 'model' as const, name: reference.repo };
  let wanted: string[];
  try {
    if (reference.file) wanted = [reference.file];
    else {
      const { listFiles } = await hubClient();
      const available = new Set<string>();
      for await (const entry of listFiles({
        repo,
        revision: reference.revision,
        recursive: true,
        ...credentials,
      }))
        available.add(entry.path);
      wanted = checkpointFiles.filter((file) => available.has(file));
      if (!available.has('model.safetensors') && !available.has('model.safetensors.index.json')) {
        const ggufs = [...available].filter((file) => file.endsWith('.gguf'));
        throw new DownloadError(`${reference.repo} has no safetensors checkpoint`, {
          code: 'HUB_NO_CHECKPOINT',
          hint: ggufs.length
            ? `Name a GGUF file: ${ggufs
                .slice(0, 5)
                .map((file) => `hf:${reference.repo}/${file}`)
                .join(', ')}`
            : 'Pick a repository with model.safetensors or a .gguf file.',
        });
      }
    }
    for (const file of wanted) await fetchFile(repo, places, file, credentials, options);
    if (!reference.file) {
      const index = join(folder, 'model.safetensors.index.json');
      // the index is read through its schema: a shard name that leaves the folder is refused, not fetched
      if (existsSync(index))
        for (const shard of readSafetensorsIndex(index))
          await fetchFile(repo, places, shard, credentials, options);
      // all the repository offers is here (a repository without tokenizer.json stays without one): the
      // next run need not ask the hub again
      writeFileSync(join(folder, '.complete'), '');
    }
  } catch (error) {
    if (PromptuneError.isInstance(error)) throw error;
    throw hubFailure(error, places);
  }
  return reference.file ? join(folder, reference.file) : folder;
}

/** The reference's file or checkpoint folder when a cache holds all of it: promptune's, then Hugging Face's. */
function cachedPath(places: HubPlaces): string | undefined {
  const { folder, file } = places;
  if (file) {
    if (existsSync(join(folder, file))) return join(folder, file);
  } else if (
    missingCheckpointFiles(folder).length === 0 ||
    // a download that fetched all the repository has (one without tokenizer.json, say)
    (existsSync(join(folder, '.complete')) && existsSync(join(folder, 'config.json')))
  ) {
    return folder;
  }
  const snapshot = huggingFaceSnapshot(places.repo, places.revision, places.huggingFaceCache);
  if (!snapshot) return undefined;
  if (file) return existsSync(join(snapshot, file)) ? join(snapshot, file) : undefined;
  return missingCheckpointFiles(snapshot).length === 0 ? snapshot : undefined;
}

/** Where cachedPath looked and what each place lacked, for the offline error. */
function lookedIn(places: HubPlaces): string[] {
  const lacking = (where: string) => {
    const missing = places.file
      ? existsSync(join(where, places.file))
        ? []
        : [places.file]
      : missingCheckpointFiles(where);
    return `${where} (missing ${missing.join(', ')})`;
  };
  const snapshot = huggingFaceSnapshot(places.repo, places.revision, places.huggingFaceCache);
  const repository = join(places.huggingFaceCache, `models--${places.repo.replace('/', '--')}`);
  return [
    existsSync(places.folder) ? lacking(places.folder) : `${places.folder} (absent)`,
    snapshot ? lacking(snapshot) : `${repository} (no snapshot for ${places.revision})`,
  ];
}

async function fetchFile(
  repo: { type: 'model'; name: string },
  places: HubPlaces,
  file: string,
  credentials: { hubUrl?: string; fetch?: typeof fetch; accessToken?: string },
  options: HubOptions,
): Promise<void> {
  const target = join(places.folder, file);
  if (existsSync(target)) return;
  makeDirectory(dirname(target));
  const { downloadFile } = await hubClient();
  const blob = await downloadFile({ repo, path: file, revision: places.revision, ...credentials });
  if (!blob) {
    throw new DownloadError(`${places.repo}@${places.revision} has no file ${file}`, {
      code: 'HUB_FILE_NOT_FOUND',
      hint: `Check the file name at ${repositoryPage(places)}/tree/${places.revision}.`,
    });
  }
  const partial = `${target}.incomplete`;
  // resume: keep what an interrupted download already wrote, fetch the rest (a file longer than the
  // whole is no part of it: started over)
  const kept = existsSync(partial) ? statSync(partial).size : 0;
  const done = kept <= blob.size ? kept : 0;
  let written = done;
  const counter = async function* (source: AsyncIterable<Uint8Array>) {
    for await (const chunk of source) {
      written += chunk.length;
      options.onProgress?.(file, written, blob.size);
      yield chunk;
    }
  };
  if (done < blob.size) {
    const stream = Readable.fromWeb(
      blob.slice(done).stream() as import('node:stream/web').ReadableStream<Uint8Array>,
    );
    const sink = createWriteStream(partial, { flags: done > 0 ? 'a' : 'w' });
    await pipeline(stream, counter, sink).catch(async (error: unknown) => {
      // writes already handed to the file finish after the failure: wait for them, so that a resume
      // (at once, in this process) starts from the file's final size and not from a size still growing
      if (!sink.closed) await once(sink, 'close').catch(() => undefined);
      const kept = existsSync(partial) ? statSync(partial).size : 0;
      throw new DownloadError(
        `downloading ${file} of ${places.text} was interrupted after ${kept} of ${blob.size} bytes: ${(error as Error).message}`,
        {
          code: 'HUB_INTERRUPTED',
          hint: `The connection dropped mid-download; run the command again: it resumes from the ${kept} bytes kept in ${partial}.`,
          cause: error,
        },
      );
    });
  } else if (!existsSync(partial)) writeFileSync(partial, '');
  if (statSync(partial).size !== blob.size) {
    throw new DownloadError(`${file}: got ${statSync(partial).size} of ${blob.size} bytes`, {
      code: 'HUB_INCOMPLETE',
      hint: 'Run the command again to resume the download.',
    });
  }
  renameSync(partial, target);
}

/** The hub's client, imported when a file is fetched: what never downloads is spared its ~50 modules. */
function hubClient() {
  return import('@huggingface/hub');
}
