// Whether this service can run a registry version. An adapter (a soft prompt, prefix, P-tuning, LoRA or
// multitask version) runs only on the local engine, and only on the weights it was trained on: its
// promptune.json records their fingerprint, which the engine's model must have. A hard prompt needs a
// model for hard prompts. GET /v1/models lists only the names that can run, so a client does not pick
// a model that answers 404, and the library API marks each version that cannot, for the dashboard.
import { unlessNotFound } from '../errors/index.js';
import { boundsTokens } from '../guard/index.js';
import { versionBaseModel, type PromptVersion, type Registry } from '../registry/index.js';
import type { TaskSpec } from '../tasks/index.js';
import type { UnavailableModel } from './openai-routes.js';
import { inputTokenCounter, type Backends } from './task-model.js';

/** Whether `backends` run anything (a service of the dashboard alone has none, and refuses nothing). */
export const runsAnything = (backends: Backends) => !!backends.hard || !!backends.engine;

/**
 * Why `version` cannot run on `backends`, or undefined when it can, or nothing tells: a service with no
 * model at all (the dashboard alone) runs nothing and marks nothing.
 */
export function whyNotServed(version: PromptVersion, backends: Backends): string | undefined {
  if (!runsAnything(backends)) return undefined;
  if (version.kind !== 'soft')
    return backends.hard ? undefined : 'a hard prompt, and no model for hard prompts runs here';
  const engine = backends.engine;
  if (!engine) return 'an adapter for a local model, and no local engine runs here';
  const trainedOn = versionBaseModel(version);
  if (!trainedOn || engine.info.fingerprints.includes(trainedOn.sha256)) return undefined;
  return `trained on ${trainedOn.name}, whose weights differ from the served model's (${engine.info.name})`;
}

/** Why no service runs the spec's guards: a custom validator's module it would import; else undefined. */
export function customGuards(spec: TaskSpec): string | undefined {
  const custom = [...(spec.guards?.input ?? []), ...(spec.guards?.output ?? [])].find(
    (entry) => entry.validator === 'custom',
  );
  return custom && `its guards name a custom validator module (${custom.module})`;
}

/**
 * Why a version pushed with `spec` cannot be served here, or undefined: guards the service does not run
 * (a custom validator's module; an input bound in tokens, when no tokenizer of the version's model
 * counts them here; a judge validator, when the service has no judge model).
 */
export function whySpecNotServed(
  spec: TaskSpec,
  service: { judge?: boolean; countsInputTokens?: boolean } = {},
): string | undefined {
  const custom = customGuards(spec);
  if (custom) return custom;
  const entries = [...(spec.guards?.input ?? []), ...(spec.guards?.output ?? [])];
  const judged = entries.find((entry) => entry.validator === 'judge');
  if (judged && !service.judge)
    return `its validator ${judged.name ?? judged.validator} asks a judge model, and this service has none (createService's guardJudge; promptune serve --judge <model>)`;
  const counted = (spec.guards?.input ?? []).find(boundsTokens);
  if (counted && !service.countsInputTokens)
    return `its input validator ${counted.name ?? counted.validator} bounds the length in tokens, and no tokenizer of its model counts inputs here (a service with an engine running its local model counts them: createService's backends.engine; promptune serve --model)`;
  return undefined;
}

/** The specs of versions, each read once. */
export function specReader(registry: Pick<Registry, 'getSpec'>): (id: string) => Promise<TaskSpec> {
  const read = new Map<string, Promise<TaskSpec>>();
  return (id) => {
    if (!read.has(id)) read.set(id, registry.getSpec(id));
    return read.get(id)!;
  };
}

/**
 * The model names of every task (`task`, and `task@label` for each label), split by whether the version
 * each name serves can run here. A bare task serves its production label, else its latest version. Only
 * the versions named are read (a task's labels' and, without production, its latest), and only when a
 * backend can refuse one (a service with no model runs nothing): a task's hundreds of versions are not.
 */
export async function servedNames(
  registry: Registry,
  backends: Backends,
  service: { judge?: boolean } = {},
): Promise<{ served: string[]; unserved: UnavailableModel[] }> {
  const served: string[] = [];
  const unserved: UnavailableModel[] = [];
  const specOf = specReader(registry);
  const refuses = runsAnything(backends);
  for (const task of await registry.taskNames()) {
    const labels = await registry.listLabels(task);
    const production = labels.find((label) => label.label === 'production')?.version;
    const names: [string, string | undefined][] = [
      [task, production ?? 'latest'],
      ...labels.map((label): [string, string] => [`${task}@${label.label}`, label.version]),
    ];
    const versions = new Map<string, Promise<PromptVersion | undefined>>();
    const read = (reference: string) => {
      if (!versions.has(reference))
        versions.set(reference, unlessNotFound(registry.resolveVersion(task, reference)));
      return versions.get(reference)!;
    };
    for (const [id, reference] of names) {
      const version = refuses && reference !== undefined ? await read(reference) : undefined;
      const reason =
        version &&
        (whyNotServed(version, backends) ??
          whySpecNotServed(await specOf(version.specId), {
            ...service,
            countsInputTokens: inputTokenCounter(backends, version) !== undefined,
          }));
      if (reason) unserved.push({ id, reason });
      else served.push(id);
    }
  }
  return { served, unserved };
}
