// Registering a trained soft prompt: the adapter folder's vectors as a blob, its config and metadata
// as the version's content, the data it was trained on as versioned datasets, and the training run as
// its lineage. It does not train or check the prompt against a model: the trainer and the service do.
import { readFileSync } from 'node:fs';
import { adapterValueCount, readAdapterMetadata, readTrainedAdapterConfig } from '../soft/index.js';
import { exampleShape, type ExampleShape, type TaskSpec } from '../tasks/index.js';
import { putDatasetFiles } from './register-task.js';
import type { Actor, PromptVersion, Registry } from './registry.js';

/** What `pushSoftPrompt` registers. */
export interface SoftPromptPush {
  /**
   * The spec of the task the prompt serves: the version serves with it, and, as with every push that
   * names a spec, it becomes the task's latest (pass the registry's own, `getTask`, to keep it).
   */
  spec: TaskSpec;
  /** An adapter folder (adapter_config.json, adapter_model.safetensors, promptune.json if ours). */
  adapterDirectory: string;
  /** Data files by split (train, dev, test), stored as datasets and named in the lineage. */
  datasets?: Partial<Record<string, string>>;
  /** The fields the data files hold (default: the spec's input fields and target). */
  shape?: ExampleShape;
  /** How the prompt was made (model, training settings, metrics), kept as the version's lineage. */
  run?: Record<string, unknown>;
  /** The id of the version of the task this one re-tunes or replaces. */
  parent?: string;
  message?: string;
  actor: Actor;
}

/** Registers an adapter folder as a soft version of `spec`'s task, with its datasets and lineage. */
export async function pushSoftPrompt(
  registry: Registry,
  push: SoftPromptPush,
): Promise<{ version: PromptVersion; created: boolean; datasets: Record<string, string> }> {
  const { spec } = push;
  const content = {
    adapterConfig: readTrainedAdapterConfig(push.adapterDirectory),
    promptune: readAdapterMetadata(push.adapterDirectory),
  };
  const vectors = readFileSync(`${push.adapterDirectory}/adapter_model.safetensors`);
  const shape = push.shape ?? exampleShape(spec);
  return registry.transaction(async (target) => {
    await target.putTask(spec); // datasets reference their task, which a first push creates
    const datasets = await putDatasetFiles(target, spec.name, push.datasets ?? {}, shape, push.actor.name);
    const { version, created } = await target.pushVersion({
      task: spec.name,
      kind: 'soft',
      content: { adapterBlob: await target.putBlob(vectors), ...content },
      spec,
      // what a service keeps for it, read off its file (lineage, not content: the version's id is unchanged)
      run: {
        kind: 'soft-train',
        ...push.run,
        datasets,
        adapter: { values: adapterValueCount(push.adapterDirectory), bytes: vectors.length },
      },
      ...(push.parent !== undefined && { parent: push.parent }),
      message: push.message ?? `soft prompt from ${push.adapterDirectory}`,
      actor: push.actor,
    });
    return { version, created, datasets };
  });
}
