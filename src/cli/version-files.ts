// A soft version's adapter as the folder PEFT and promptune read (adapter_config.json, promptune.json when
// it has one, adapter_model.safetensors), written from the registry: for an audit, a merge, or a
// multitask start (--like), where the version's own folder may be on no disk at all.
import { ValidationError } from '../errors/index.js';
import { writeAdapterFolder, type PromptVersion, type Registry } from '../registry/index.js';

/** The adapter file's bytes of a soft version (REGISTRY_NO_BLOB when the registry lacks them). */
export async function versionAdapterBytes(registry: Registry, version: PromptVersion): Promise<Uint8Array> {
  const blob = version.content.adapterBlob;
  if (version.kind !== 'soft' || typeof blob !== 'string')
    throw new ValidationError(`${version.task}@${version.number} holds no adapter file`, {
      code: 'CLI_INVALID_OPTION',
      hint: 'Name a soft version (an adapter); a hard prompt is words, not a file.',
    });
  return registry.getBlob(blob);
}

/** Writes the version's adapter folder at `folder`, the weights last (whole or not at all). */
export function writeVersionFiles(folder: string, version: PromptVersion, adapter: Uint8Array): void {
  const { adapterConfig, promptune } = version.content;
  writeAdapterFolder(folder, {
    config: adapterConfig as Record<string, unknown>,
    ...(promptune ? { metadata: promptune as Record<string, unknown> } : {}),
    safetensors: adapter,
  });
}
