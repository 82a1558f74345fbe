// `hf:<org>/<name>[@revision][/<file>]` references: files fetched from the Hugging Face hub with
// @huggingface/hub into a cache directory, resuming partial downloads (Range requests on the file's
// blob). Already-cached files are used without touching the network.
import { createWriteStream, existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { DownloadError, PromptuneError, ValidationError } from '../../errors/index.js';
import { readSafetensorsIndex } from './hf-directory.js';
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
 * Resolves a hub reference to a local path (a GGUF file, or a directory with a safetensors checkpoint),
 * downloading what is missing. Offline, it names the files to place by hand.
 */
export async function resolveHubReference(text: string, options: HubOptions = {}): Promise<string> {
  const reference = parseHubReference(text);
  const folder = hubFolder(reference, options.cacheDirectory);
  const credentials = {
    hubUrl: options.hubUrl ?? process.env.HF_ENDPOINT,
    fetch: options.fetch,
    accessToken: options.accessToken ?? process.env.HF_TOKEN,
  };
  const repo = { type: 'model' as const, name: reference.repo };
  const complete = (file: string) => existsSync(join(folder, file));
  if (reference.file && complete(reference.file)) return join(folder, reference.file);
  if (!reference.file && complete('config.json') && (complete('model.safetensors') || complete('.complete')))
    return folder;

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
    for (const file of wanted) await fetchFile(repo, reference, file, folder, credentials, options);
    if (!reference.file && complete('model.safetensors.index.json')) {
      // the index is read through its schema: a shard name that leaves the folder is refused, not fetched
      for (const shard of readSafetensorsIndex(join(folder, 'model.safetensors.index.json')))
        await fetchFile(repo, reference, shard, folder, credentials, options);
      writeFileSync(join(folder, '.complete'), '');
    }
  } catch (error) {
    if (PromptuneError.isInstance(error)) throw error;
    const files = reference.file
      ? [reference.file]
      : ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];
    throw new DownloadError(
      `cannot download ${text} from the Hugging Face hub: ${(error as Error).message}`,
      {
        code: 'HUB_UNREACHABLE',
        hint: `If this machine is offline, place ${files.join(', ')} from https://huggingface.co/${reference.repo} in ${folder} by hand (or pass a local path to --model).`,
        cause: error,
      },
    );
  }
  return reference.file ? join(folder, reference.file) : folder;
}

async function fetchFile(
  repo: { type: 'model'; name: string },
  reference: HubReference,
  file: string,
  folder: string,
  credentials: { hubUrl?: string; fetch?: typeof fetch; accessToken?: string },
  options: HubOptions,
): Promise<void> {
  const target = join(folder, file);
  if (existsSync(target)) return;
  makeDirectory(dirname(target));
  const { downloadFile } = await hubClient();
  const blob = await downloadFile({ repo, path: file, revision: reference.revision, ...credentials });
  if (!blob) {
    throw new DownloadError(`${reference.repo}@${reference.revision} has no file ${file}`, {
      code: 'HUB_FILE_NOT_FOUND',
      hint: `Check the file name at https://huggingface.co/${reference.repo}/tree/${reference.revision}.`,
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
      throw error;
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
