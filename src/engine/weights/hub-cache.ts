// Models already on disk for an hf: reference: the Hugging Face cache that huggingface_hub and
// transformers fill (models--{org}--{name}/snapshots/{commit}, refs/{revision} naming the commit), and
// what a checkpoint folder must hold to be used. Read only: nothing here writes into that cache.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { readSafetensorsIndex } from './hf-directory.js';

/** The Hugging Face hub cache: HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
export function huggingFaceCacheDirectory(): string {
  if (process.env.HF_HUB_CACHE) return process.env.HF_HUB_CACHE;
  return join(process.env.HF_HOME || join(homedir(), '.cache', 'huggingface'), 'hub');
}

/** Whether HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE asks for no network (1, true, yes or on, as huggingface_hub reads them). */
export function offlineByEnvironment(): boolean {
  return [process.env.HF_HUB_OFFLINE, process.env.TRANSFORMERS_OFFLINE].some((value) =>
    ['1', 'true', 'yes', 'on'].includes((value ?? '').trim().toLowerCase()),
  );
}

/** A commit hash as refs/{revision} holds it (a trailing newline allowed). */
const commitHash = z
  .string()
  .transform((text) => text.trim())
  .pipe(z.string().regex(/^[0-9a-f]{40}$/));

/**
 * The snapshot folder of `repo` at `revision` in the Hugging Face cache `cacheDirectory`, when there is
 * one: refs/{revision} names its commit, or the revision is itself a commit with a snapshot.
 */
export function huggingFaceSnapshot(
  repo: string,
  revision: string,
  cacheDirectory: string,
): string | undefined {
  const root = join(cacheDirectory, `models--${repo.replace('/', '--')}`);
  const snapshot = (commit: string) => {
    const folder = join(root, 'snapshots', commit);
    return existsSync(folder) ? folder : undefined;
  };
  const ref = join(root, 'refs', revision);
  if (existsSync(ref)) {
    let read: string;
    try {
      read = readFileSync(ref, 'utf8');
    } catch {
      return undefined; // a folder or an unreadable file: no usable ref
    }
    const parsed = commitHash.safeParse(read);
    return parsed.success ? snapshot(parsed.data) : undefined;
  }
  return /^[0-9a-f]{40}$/.test(revision) ? snapshot(revision) : undefined;
}

/**
 * What a safetensors checkpoint folder lacks of what loading it needs: config.json, tokenizer.json, and
 * model.safetensors or model.safetensors.index.json with every shard it names. Empty when complete.
 */
export function missingCheckpointFiles(folder: string): string[] {
  const missing = ['config.json', 'tokenizer.json'].filter((file) => !existsSync(join(folder, file)));
  if (existsSync(join(folder, 'model.safetensors'))) return missing;
  const index = join(folder, 'model.safetensors.index.json');
  if (!existsSync(index))
    return [...missing, 'model.safetensors (or model.safetensors.index.json and its shards)'];
  let shards: string[];
  try {
    shards = readSafetensorsIndex(index);
  } catch {
    // a broken index is said by the loader, with its own code, once the folder is used
    return [...missing, 'a valid model.safetensors.index.json'];
  }
  return [...missing, ...shards.filter((shard) => !existsSync(join(folder, shard)))];
}
