// What `soft train --push` and `soft train-multitask --push` share: the flags, the task a data folder's
// adapter belongs to, and registering an adapter folder as a soft version of that task with its lineage
// (the task's spec, the data's files, the training run's settings and metrics).
import { basename, resolve } from 'node:path';
import { PermissionError, unlessNotFound } from '../errors/index.js';
import { taskConstraint } from '../guard/index.js';
import { pushSoftPrompt, versionBaseModel, type PromptVersion } from '../registry/index.js';
import type { LlamaModel } from '../engine/index.js';
import { matchesFingerprint, readAdapterMetadata } from '../soft/index.js';
import { loadTask, taskSpec, type TaskSpec } from '../tasks/index.js';
import { pushAndLabel, withRegistry } from './registry-access.js';
import { splitFiles } from './data-folder.js';

/** The --push flags. */
export const pushArgs = {
  push: {
    type: 'boolean',
    default: false,
    description: 'Register the adapter as a soft version in the registry, with its lineage',
  },
  db: {
    type: 'string',
    default: '.promptune/registry.sqlite',
    description: 'Registry for --push (DATABASE_URL selects Postgres)',
  },
  label: { type: 'string', description: 'With --push: point this label at the new version' },
  admin: {
    type: 'boolean',
    default: false,
    description: 'With --push: act with the admin scope (a protected label such as production needs it)',
  },
} as const;

/** The task a data folder's soft prompt belongs to: --baseline's, else the folder's name made a task name. */
export function softTaskName(args: { data: string; baseline?: string }): string {
  if (args.baseline) return loadTask(args.baseline).spec.name;
  return taskNameOf(basename(resolve(args.data)));
}

/** A folder's name as a registry task name: lowercase, anything but letters, digits, ".", "_", "-" a "-". */
export function taskNameOf(folderName: string): string {
  return folderName.toLowerCase().replace(/[^a-z0-9._-]/g, '-');
}

/**
 * Refuses, before any training (or optimizing), a --push --label the registry would refuse after it: a protected label
 * (production by default) moved without --admin. The audit policy of a label is asked at the push, once
 * there is a version to audit.
 */
export async function checkLabelBeforeTraining(
  args: { push: boolean; label?: string; admin: boolean; db: string },
  tasks: string[],
): Promise<void> {
  const { label } = args;
  if (!args.push || !label || args.admin) return;
  await withRegistry(args, async (registry) => {
    for (const task of tasks) {
      if (await registry.labelProtected(task, label))
        throw new PermissionError(`moving the protected label ${task}@${label} needs the admin scope`, {
          code: 'REGISTRY_PROTECTED_LABEL',
          hint: 'Add --admin (checked before the run, so nothing ran), or push without --label and move it later (promptune registry label <task> <label> <version> --admin).',
        });
    }
  });
}

/**
 * Refuses a --parent the registry does not hold for `task` before any training (REGISTRY_NO_VERSION), as
 * the push would after it.
 */
export async function checkParentBeforeTraining(
  args: { push: boolean; parent?: string; db: string },
  task: string,
): Promise<void> {
  if (!args.push || args.parent === undefined) return;
  await withRegistry(args, (registry) => registry.resolveVersion(task, args.parent), { reads: true });
}

/** What names the registry, the spec and the data's fields. */
export interface PushArgs {
  db: string;
  admin: boolean;
  label?: string;
  /** The version of the task this one re-tunes (a number, a label, an id prefix): its parent. */
  parent?: string;
  baseline?: string;
  model: string;
  'input-field': string;
  'target-field': string;
}

/**
 * Registers the adapter folder `source.adapter` as a soft version of the task of `source.data`, with the
 * data folder's splits (those that exist) as the version's datasets; `created` is false when the same
 * adapter and data were registered already (a rerun of a finished run).
 */
export async function pushAdapter(
  args: PushArgs,
  /**
   * `labels`: the task's labels when its targets are a few (soft-data.ts labelSet); `model`: the base
   * model trained on, which knows its older fingerprints (a version pushed before on the same weights).
   */
  source: { data: string; adapter: string; labels?: string[]; model?: LlamaModel },
  metrics: Record<string, number>,
  training: Record<string, unknown>,
): Promise<{
  name: string;
  id: string;
  created: boolean;
  /** A label task whose spec does not constrain decoding: served with the text it writes. */
  unconstrained: boolean;
}> {
  return withRegistry(args, async (registry, actor) => {
    // the task's spec: --baseline's, else the registry's own for a task of the data folder's name
    // (a push must not replace it), else a plain one built from the data's fields
    const name = softTaskName({ data: source.data });
    const registered = args.baseline ? undefined : await unlessNotFound(registry.getTask(name));
    const spec = args.baseline
      ? loadTask(args.baseline).spec
      : (registered ?? plainSpec(name, args, source.labels));
    if (!args.baseline && !registered && !source.labels)
      process.stderr.write(
        `${name} is registered with a plain spec: its ${args['input-field']} field is the whole prompt, and the answer is what the model writes first (greedy, up to 16 tokens), scored by exact match of its start as training scored. To register another spec, push with --baseline <spec>, or register it first (promptune registry push --task <spec>).\n`,
      );
    if (!args.baseline && !registered && source.labels) {
      const shown = source.labels.slice(0, 5).map((label) => label.trim());
      process.stderr.write(
        `${name} is registered as a label task (${source.labels.length} labels in its training targets: ${shown.join(', ')}${source.labels.length > 5 ? ', …' : ''}): the service answers with one of them, decoding constrained to them as training scored. To register another spec, push with --baseline <spec>, or register it first (promptune registry push --task <spec>).\n`,
      );
    }
    // a label task's spec that does not constrain decoding is served with the text the adapter writes,
    // not the label its training's label accuracy counts
    const unconstrained = source.labels !== undefined && !taskConstraint(spec);
    if ((args.baseline || registered) && unconstrained && spec.output.kind === 'label')
      process.stderr.write(
        `warning: ${args.baseline ? `--baseline ${args.baseline}` : `the registry's spec of ${name}`} does not constrain decoding to its labels: the service answers with the text the adapter writes, which the test exact match scores (label accuracy counts the label it would answer constrained). To serve it as a label, add decoding: { constrain: true } to the spec (local models only).\n`,
      );
    const previous = await unlessNotFound(registry.resolveVersion(name));
    const parent =
      args.parent === undefined ? undefined : await registry.resolveVersion(spec.name, args.parent);
    const { version, created } = await pushAndLabel(
      registry,
      actor,
      { name: args.label, reason: 'soft train --push' },
      (target) =>
        pushSoftPrompt(target, {
          spec,
          adapterDirectory: source.adapter,
          datasets: splitFiles(source.data),
          shape: { inputFields: [args['input-field']], targetField: args['target-field'] },
          run: { model: args.model, training, metrics },
          ...(parent && { parent: parent.id }),
          message: `${{ lora: 'LoRA adapter', 'prefix-tuning': 'prefix', 'p-tuning': 'P-tuned soft prompt', 'multitask-prompt-tuning': 'multitask soft prompt' }[String(training.method)] ?? 'soft prompt'} trained on ${source.data}`,
          actor,
        }),
    );
    if (previous) warnOtherBaseModel(previous, `${spec.name}@${version.number}`, source);
    // a version's lineage is fixed when it is first pushed: a rerun's --parent cannot change it. A re-tune
    // that gives its --parent itself (the same data and settings: the loop's `unchanged`) changes nothing
    if (parent && !created && version.parent !== parent.id && version.id !== parent.id)
      process.stderr.write(
        `warning: ${spec.name}@${version.number} was registered before${version.parent ? ` with another parent (${version.parent.slice(0, 12)})` : ' without a parent'}; --parent ${args.parent} is not recorded\n`,
      );
    return { name: `${spec.name}@${version.number}`, id: version.id, created, unconstrained };
  });
}

/**
 * The spec of a task pushed without one: its input field as the whole prompt, scored as training scored it
 * (the answer is what the model writes first, greedily, within a few tokens; a continuation that runs on
 * past it still counts). A task whose training targets are a few labels is a label task decoded under
 * them: served, it answers with a label, as training chose among them, not with the text that follows.
 */
function plainSpec(name: string, args: PushArgs, labels: string[] | undefined): TaskSpec {
  return taskSpec.parse({
    name,
    prompt: { template: `{{${args['input-field']}}}` },
    input: { fields: [args['input-field']] },
    data: { targetField: args['target-field'] },
    ...(labels ? { output: { kind: 'label', labels }, decoding: { constrain: true } } : {}),
    metrics: [{ name: 'exact-match', options: { match: 'prefix', normalize: [] } }],
    generation: { maxTokens: 16, temperature: 0 },
  });
}

/**
 * Says on stderr when a push moves a task's latest version to another base model: a service runs one
 * model and refuses versions trained on another, so requests for the task by name would start failing.
 */
function warnOtherBaseModel(
  previous: PromptVersion,
  pushed: string,
  source: { adapter: string; model?: LlamaModel },
): void {
  const before = versionBaseModel(previous);
  const now = readAdapterMetadata(source.adapter)?.baseModel;
  if (!before || !now || before.sha256 === now.sha256) return;
  // a version pushed before the fingerprint read a Hugging Face checkpoint's query rows as llama.cpp
  // orders them: the model itself says whether that older hash is its own
  if (source.model && matchesFingerprint(source.model, before.sha256)) return;
  process.stderr.write(
    `warning: ${previous.task}@${previous.number}, the task's latest before ${pushed}, was trained on ${before.name}; ${pushed} on ${now.name}, whose weights differ. A service runs one base model and refuses versions of another: requests for ${previous.task} (its latest) now need a service of ${now.name}, or name a version or label.\n`,
  );
}
