// How an adapter trained on `--model` names its base: readable in promptune.json (the file name, or the
// hub id) and loadable in adapter_config.json, where PEFT's AutoPeftModel reads base_model_name_or_path
// (the hub id, or the absolute path of a local model). Not here: the adapter files themselves (soft/).
import { basename, resolve } from 'node:path';
import { parseHubReference } from '../engine/index.js';
import type { BaseModelNames } from '../soft/index.js';

/** The names an adapter trained on `model` (a path or hf:org/name[@revision][/file]) records for it. */
export function baseModelNames(model: string): Required<BaseModelNames> {
  if (model.startsWith('hf:')) {
    const { repo, file } = parseHubReference(model);
    // a GGUF file of a repository keeps its name for people (two quantizations differ by it); PEFT can
    // only be pointed at the repository
    return { baseModelName: file ? `${repo}/${file}` : repo, baseModelPath: repo };
  }
  const path = resolve(model);
  return { baseModelName: basename(path), baseModelPath: path };
}
