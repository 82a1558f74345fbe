// A version read back for use outside the registry: the task spec it serves with (a hard version's
// prompt and generation settings over its stored spec, as the service serves it), and a soft version's
// adapter files, or the folder loadAdapter, SoftPromptSession and adapterSource read. It does not load
// a model or check the adapter against one: loading does.
import { join } from 'node:path';
import { makeDirectory, writeFileAtomically } from '../engine/index.js';
import { parseInput, ValidationError } from '../errors/index.js';
import { taskSpec, type TaskSpec } from '../tasks/index.js';
import type { PromptVersion, Registry } from './registry.js';

/** A soft version's adapter: adapter_config.json, promptune.json (absent for PEFT's own), the weights. */
export interface VersionAdapter {
  config: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  safetensors: Uint8Array;
}

/** How a stored version that no longer parses is refused (as the service refuses to serve it). */
const storedSource = (version: PromptVersion) => ({
  where: `${version.task}@${version.number} as stored`,
  code: 'REGISTRY_VERSION_UNSERVABLE',
  hint: 'The stored version or its spec is not valid; push a corrected version and move the label to it.',
});

/**
 * The task spec `version` serves with: its stored spec, with a hard version's prompt and generation
 * settings (a soft version's prompt is its adapter: `versionAdapter`). `taskFromObject` makes it a task.
 */
export async function versionSpec(registry: Registry, version: PromptVersion): Promise<TaskSpec> {
  const base = await registry.getSpec(version.specId);
  if (version.kind === 'soft') return parseInput(taskSpec, base, storedSource(version));
  const content = version.content;
  const prompt = {
    system: content.system,
    template: content.template,
    demos: content.demos,
    demoSeparator: content.demoSeparator,
  };
  const generation = content.generation ?? base.generation;
  return parseInput(taskSpec, { ...base, prompt, generation }, storedSource(version));
}

/** A soft version's adapter files (REGISTRY_NOT_SOFT for a hard version, REGISTRY_NO_BLOB without its weights). */
export async function versionAdapter(registry: Registry, version: PromptVersion): Promise<VersionAdapter> {
  const { adapterBlob, adapterConfig, promptune } = version.content;
  if (version.kind !== 'soft' || typeof adapterBlob !== 'string')
    throw new ValidationError(`${version.task}@${version.number} is a hard prompt, not an adapter`, {
      code: 'REGISTRY_NOT_SOFT',
      hint: 'Name a soft version; a hard version is words, whose prompt versionSpec gives.',
    });
  return {
    config: adapterConfig as Record<string, unknown>,
    ...(promptune !== undefined && { metadata: promptune as Record<string, unknown> }),
    safetensors: await registry.getBlob(adapterBlob),
  };
}

/** Writes an adapter's folder at `folder`, the weights last (whole or not at all); returns the folder. */
export function writeAdapterFolder(folder: string, adapter: VersionAdapter): string {
  makeDirectory(folder);
  writeFileAtomically(join(folder, 'adapter_config.json'), JSON.stringify(adapter.config));
  if (adapter.metadata) writeFileAtomically(join(folder, 'promptune.json'), JSON.stringify(adapter.metadata));
  writeFileAtomically(join(folder, 'adapter_model.safetensors'), adapter.safetensors);
  return folder;
}

/** Writes a soft version's adapter folder at `folder` (for loadAdapter, SoftPromptSession, adapterSource); returns it. */
export async function writeVersionAdapter(
  registry: Registry,
  version: PromptVersion,
  folder: string,
): Promise<string> {
  return writeAdapterFolder(folder, await versionAdapter(registry, version));
}
