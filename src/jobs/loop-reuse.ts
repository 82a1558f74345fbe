// A soft re-tune is deterministic (seeded): on the dataset version an earlier iteration re-tuned, with
// the same settings, it makes that iteration's candidate again. The iteration reuses such a candidate
// instead of training it again, so an alert that fires with no new reviewed data costs a lookup, not a
// training run. The settings are everything the re-tune's command is made of except where it writes and
// which version it names as parent: the policy's model (its name and its files' sizes and times, so a
// model replaced where it lies trains again) and arguments, the spec's text, and the method and shape it
// trains. An iteration records them as it asked for them (production's shape, or "the policy's and soft
// train's defaults") and as its candidate has them: once the candidate serves, the next iteration trains
// like it, and finds it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { resolveHubReference } from '../engine/index.js';
import { unlessNotFound } from '../errors/index.js';
import { contentHash, type PromptVersion, type Registry } from '../registry/index.js';
import { writtenOptions } from '../soft/index.js';
import type { LoopPolicyFile } from './loop-policy.js';

/** Loop iterations looked back through for a candidate to reuse. */
const lookedBack = 20;

/** Options of the policy's that name what may change under the same words (a label, a file's content). */
const mutableReferences = ['like', 'source', 'init-from'];

/**
 * A hash of what decides a soft re-tune's result besides its data and method: the policy's model (and
 * its files as they are now), arguments and spec text. Undefined for an `optimize` re-tune (a model's
 * answers need not repeat) and when the policy's arguments name a version or file to start from (its
 * words may mean other content now). An iteration records it, so that what its candidate is findable by
 * is reckoned from the same spec and model after a restart, whatever changed since.
 */
export async function retuneBasis(file: LoopPolicyFile): Promise<string | undefined> {
  const { policy } = file;
  if (policy.retune.method !== 'soft') return undefined;
  if (mutableReferences.some((option) => writtenOptions(policy.retune.args).has(option))) return undefined;
  const spec = readFileSync(resolve(file.folder, policy.spec), 'utf8');
  const files = await modelFiles(policy.model, file.folder);
  return contentHash({ model: policy.model, files, args: policy.retune.args, spec });
}

/**
 * The settings hash of a re-tune with `basis` (retuneBasis) training the method options `shape`
 * (RetuneMethod.settings, or shapeArguments of a version trained); undefined without a basis and for no
 * `shape` (production's content decides).
 */
export function retuneSettings(basis: string | undefined, shape: string[] | undefined): string | undefined {
  return basis === undefined || !shape ? undefined : contentHash({ basis, method: shape });
}

/**
 * Where a local model is (`local:<path or hf:reference>`, a path from `folder`, where the loop's steps
 * run; a hub reference as cached, without the network), and the names, sizes and modification times of
 * its file or its checkpoint folder's files (links followed: a Hugging Face snapshot's files are links to
 * its blobs), or "not found".
 */
async function modelFiles(model: string, folder: string): Promise<string[]> {
  const reference = model.replace(/^local:/, '');
  const path = reference.startsWith('hf:')
    ? await resolveHubReference(reference, { offline: true }).catch(() => undefined)
    : resolve(folder, reference);
  const stamp = (file: string) => {
    const stats = statSync(file);
    return stats.isFile() ? `${stats.size}:${stats.mtimeMs}` : undefined;
  };
  try {
    if (!path) return ['not found'];
    if (!statSync(path).isDirectory()) return [path, stamp(path) ?? 'not a file'];
    const files = readdirSync(path)
      .filter((name) => !name.startsWith('.'))
      .flatMap((name) => {
        const stamped = stamp(join(path, name));
        return stamped === undefined ? [] : [`${name}:${stamped}`];
      })
      .sort();
    return [path, ...files];
  } catch {
    return ['not found'];
  }
}

/** A candidate an earlier iteration re-tuned from the same dataset version with the same settings. */
export interface EarlierCandidate {
  /** The iteration (loop run) that trained it. */
  run: string;
  candidate: { id: string; number: number };
  /** The candidate's version. */
  version: PromptVersion;
}

/**
 * The candidate of the latest earlier iteration (of the last 20) that re-tuned `datasetVersion` with
 * `settings`, while its version still exists.
 */
export async function earlierCandidate(
  registry: Registry,
  input: { task: string; datasetVersion: number; settings: string; current: string },
): Promise<EarlierCandidate | undefined> {
  const { data: runs } = await registry.runs.list(
    { task: input.task, kind: 'loop' },
    { limit: lookedBack + 1 },
  );
  for (const run of runs) {
    if (run.id === input.current) continue;
    const steps = await registry.runs.allEntries(run.id, 'step');
    const dataset = steps.find((entry) => entry.data.step === 'dataset')?.data;
    const retune = steps.find((entry) => entry.data.step === 'retune')?.data;
    if (dataset?.version !== input.datasetVersion || retune?.done !== true) continue;
    if (!Array.isArray(retune.settings) || !retune.settings.includes(input.settings)) continue;
    const candidate = retune.candidate as EarlierCandidate['candidate'] | undefined;
    if (!candidate) continue;
    const version = await unlessNotFound(registry.resolveVersion(input.task, candidate.id));
    if (version) return { run: run.id, candidate: { id: version.id, number: version.number }, version };
  }
  return undefined;
}
