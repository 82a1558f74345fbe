// What an audit command audits: a task (its data from the spec, or --data) on a model, with the
// spec's own prompt, a prompt artifact (--prompt), a soft prompt adapter (--adapter), or a registry
// version (--version task@ref: a hard version's prompt, or a soft version's adapter). A soft prompt
// runs on the local engine and reads the raw input, as the service serves soft versions.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError, parseInput } from '../errors/index.js';
import type { EvaluatedModel } from '../eval/index.js';
import { applyArtifact, readArtifact } from '../optimize/index.js';
import {
  resolveModel,
  SoftPromptLanguageModel,
  type LocalLanguageModel,
  type ResolvedModel,
} from '../providers/index.js';
import {
  adapterMethodName,
  contentHash,
  referencedLabel,
  versionSpec,
  writeDatasetSplits,
  type PromptVersion,
} from '../registry/index.js';
import { isKeyValuePrefix, packAdapter } from '../engine/index.js';
import { loadTrainedAdapter, readAdapterMetadata, SoftPromptSession } from '../soft/index.js';
import { loadTask, taskFromObject, taskSpec, type Task, type TaskSpec } from '../tasks/index.js';
import { withDataFolder } from './data-folder.js';
import { taskNameOf } from './soft-push.js';
import { downloadProgress } from './progress.js';
import { versionReference, withRegistry } from './registry-access.js';
import { versionAdapterBytes, writeVersionFiles } from './version-files.js';

/** The options every audit command takes to name what it audits. */
export const subjectArgs = {
  task: {
    type: 'string',
    description:
      "Task spec file (.yaml or .json): its data and metrics (a --version answers as served, with its own spec's generation, decoding and guards); with --version it may be left out: the spec the version serves with and the data it was pushed with",
  },
  model: {
    type: 'string',
    required: true,
    description:
      'Model: local:<path>, openai:<model>, openai-compatible:<url>#<model>, anthropic:<model>, ollama:<model> (soft prompts: local only)',
  },
  prompt: { type: 'string', description: 'A prompt artifact (optimize --out) instead of the spec’s prompt' },
  adapter: {
    type: 'string',
    description:
      'An adapter folder, ours or PEFT’s (a soft prompt, LoRA, prefix, P-tuning or multitask prompt)',
  },
  version: {
    type: 'string',
    description: 'A registry version, task@label|number|id (hard: its prompt; soft: its adapter); see --db',
  },
  data: { type: 'string', description: 'A folder of train/dev/test.jsonl instead of the spec’s data' },
  force: { type: 'boolean', default: false, description: 'Use an adapter made for another base model' },
} as const;

/** What was audited, as reports and runs record it. */
export interface SubjectDescription {
  kind: 'hard' | 'soft';
  /** An adapter's method as its PEFT config names it: "soft prompt", "LoRA", "prefix", "P-tuning", … */
  method?: string;
  prompt?: string;
  adapter?: string;
  /** The registry version, and the label it was named by (`task@production`), if it was. */
  version?: { task: string; number: number; id: string; label?: string };
}

/** The subject in words, for reports: "soft prompt ./adapter", "hard version name@3", … */
export function describeSubject(subject: SubjectDescription): string {
  const kind = subject.method ?? subject.kind;
  if (subject.version) return `${kind} version ${subject.version.task}@${subject.version.number}`;
  if (subject.adapter) return `${subject.method ?? 'soft prompt'} ${subject.adapter}`;
  if (subject.prompt) return `prompt ${subject.prompt}`;
  return "the spec's prompt";
}

/** The task and model an audit runs, and what it is. */
export interface AuditSubject {
  task: Task;
  model: EvaluatedModel;
  subject: SubjectDescription;
  /**
   * The content id of the spec as read (the file's, or the version's own), before an adapter's subject
   * sets its template to the raw input: what a run records, and what a task's audit policy compares with
   * the version's spec (the rewritten one never matched, so no adapter version's audit counted).
   */
  specId: string;
}

/** The options that name what an audit audits (see subjectArgs). */
export interface SubjectOptions {
  task?: string;
  model: string;
  prompt?: string;
  adapter?: string;
  version?: string;
  data?: string;
  force?: boolean;
  db: string;
}

/**
 * Refuses options that name more than one prompt, or no task: what the subject's options say, before
 * anything is read (`job submit` checks a job's command line with it too).
 */
export function checkSubjectOptions(
  args: Pick<SubjectOptions, 'task' | 'prompt' | 'adapter' | 'version'>,
): void {
  const given = (['prompt', 'adapter', 'version'] as const).filter((option) => args[option] !== undefined);
  if (given.length > 1)
    throw new ValidationError(`--${given.join(' and --')} both name a prompt`, {
      code: 'CLI_INVALID_OPTION',
      hint: 'Name one prompt at a time: the spec’s, --prompt, --adapter or --version.',
    });
  if (args.task === undefined && args.version === undefined) missingTask();
  if (args.version !== undefined) versionReference(args.version);
}

/** Reads the task and loads the model with the prompt the options name. */
export async function auditSubject(args: SubjectOptions): Promise<AuditSubject> {
  checkSubjectOptions(args);
  // without a spec file, the version's own spec and data: the version is resolved once, for both
  const fromVersion =
    args.task === undefined && args.version !== undefined ? await versionTask(args, args.version) : undefined;
  const task =
    fromVersion?.task ??
    (args.task !== undefined ? withDataFolder(loadTask(args.task), args.data) : missingTask());
  const specId = contentHash(task.spec);
  if (args.prompt)
    return {
      task: applyArtifact(task, readArtifact(args.prompt)),
      model: await resolveModel(args.model, { local: { hub: { onProgress: downloadProgress() } } }),
      subject: { kind: 'hard', prompt: args.prompt },
      specId,
    };
  if (args.adapter) {
    warnOtherTask(args.adapter, task.spec.name);
    const { method, ...soft } = await softSubject(task, args, args.adapter);
    return { ...soft, subject: { kind: 'soft', method, adapter: args.adapter }, specId };
  }
  if (args.version)
    return { ...(await versionSubject(task, args, args.version, fromVersion?.version)), specId };
  return {
    task,
    model: await resolveModel(args.model, { local: { hub: { onProgress: downloadProgress() } } }),
    subject: { kind: 'hard' },
    specId,
  };
}

/**
 * Says on stderr when an adapter trained for one task is run on another (a gender prompt scored on name
 * scores 0, which reads as a bad prompt, not a wrong one). A warning, not a refusal: a task renamed, or a
 * prompt tried on a related task, is the user's call.
 */
function warnOtherTask(adapter: string, task: string): void {
  const trained = readAdapterMetadata(adapter)?.task;
  // a folder's name (Gender) is its task's name made a registry name (gender)
  if (trained !== undefined && taskNameOf(trained) !== task)
    process.stderr.write(
      `warning: ${adapter} was trained for the task ${trained}; it is run here on ${task}, whose inputs and answers it did not learn.\n`,
    );
}

/** The refusal of a command given neither --task nor --version. */
export function missingTask(): never {
  throw new ValidationError('no task: --task <spec> is needed (or --version task@ref)', {
    code: 'CLI_USAGE',
    hint: 'Give the task spec file (its data and metrics), or a registry version, whose own spec and data are read.',
  });
}

/**
 * A registry version's task without a spec file: the spec it serves with, and the data it was pushed
 * with (its run's datasets) or --data. The data is written to a temporary folder of this process,
 * removed when it exits.
 */
async function versionTask(
  args: SubjectOptions,
  text: string,
): Promise<{ task: Task; version: PromptVersion }> {
  const reference = versionReference(text);
  return withRegistry(args, async (registry) => {
    const version = await registry.resolveVersion(reference.task, reference.ref);
    const spec = await registry.getSpec(version.specId);
    const task = taskFromObject(spec, `the spec of ${version.task}@${version.number}`);
    if (args.data !== undefined) return { task: withDataFolder(task, args.data), version };
    const datasets = (version.run as { datasets?: Record<string, string> } | undefined)?.datasets ?? {};
    const splits = Object.fromEntries(
      Object.entries(datasets).filter(([split]) => ['train', 'dev', 'test'].includes(split)),
    );
    const folder = mkdtempSync(join(tmpdir(), 'promptune-version-data-'));
    process.once('exit', () => rmSync(folder, { recursive: true, force: true }));
    if ((await writeDatasetSplits(registry, version.task, splits, folder)).length === 0)
      throw new ValidationError(`${version.task}@${version.number} was pushed without its data`, {
        code: 'DATASET_NOT_FOUND',
        hint: 'Give the data with --data <folder>, or the task spec with --task.',
      });
    return { task: withDataFolder(task, folder), version };
  });
}

/**
 * A registry version's prompt (hard) or adapter (soft) on the spec's data; `resolved` is the version
 * when the task was read from it already (a label moved meanwhile must not give the prompt of another).
 */
async function versionSubject(
  task: Task,
  args: SubjectOptions,
  text: string,
  resolved?: PromptVersion,
): Promise<Omit<AuditSubject, 'specId'>> {
  const reference = versionReference(text);
  if (reference.task !== task.spec.name)
    throw new ValidationError(`--version names task ${reference.task}; the spec is task ${task.spec.name}`, {
      code: 'CLI_INVALID_OPTION',
      hint: 'Give the spec of the task the version belongs to (its data and metrics are read from it).',
    });
  const found = await withRegistry(args, async (registry) => {
    const version = resolved ?? (await registry.resolveVersion(reference.task, reference.ref));
    const adapter = version.kind === 'soft' ? await versionAdapterBytes(registry, version) : undefined;
    // a spec file gives the data and metrics; how the version answers is how it is served
    const served = resolved ? undefined : await versionSpec(registry, version);
    return { version, adapter, served };
  });
  const { version } = found;
  const answered = found.served ? asServed(task, found.served, `${version.task}@${version.number}`) : task;
  const label = referencedLabel(reference.ref);
  const described = { task: version.task, number: version.number, id: version.id, ...(label && { label }) };
  if (!found.adapter)
    return {
      task: withVersionPrompt(answered, version),
      model: await resolveModel(args.model, { local: { hub: { onProgress: downloadProgress() } } }),
      subject: { kind: 'hard', version: described },
    };
  // a soft version's adapter files, written where loadAdapter reads them
  const folder = mkdtempSync(join(tmpdir(), 'promptune-audit-adapter-'));
  try {
    writeVersionFiles(folder, version, found.adapter);
    const { method, ...soft } = await softSubject(answered, args, folder);
    return { ...soft, subject: { kind: 'soft', method, version: described } };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * The task as a version answers it when served: the spec it serves with gives the generation settings,
 * constrained decoding and guards; the spec file given keeps its data, metrics and output. Says so on
 * stderr when they differ from the file's (a gate then scores production as users get it).
 */
function asServed(task: Task, served: TaskSpec, name: string): Task {
  const answering = ['generation', 'decoding', 'guards'] as const;
  const differing = answering.filter(
    (field) => JSON.stringify(task.spec[field]) !== JSON.stringify(served[field]),
  );
  if (differing.length === 0) return task;
  process.stderr.write(
    `note: ${name} answers as it is served: its own spec's ${differing.join(', ')}, not the spec file's (which gives the data and metrics)\n`,
  );
  const spec = {
    ...task.spec,
    generation: served.generation,
    decoding: served.decoding,
    guards: served.guards,
  };
  return { ...task, spec };
}

/** The task with a hard version's prompt and generation settings. */
function withVersionPrompt(task: Task, version: PromptVersion): Task {
  const content = version.content as Record<string, unknown>;
  const spec = parseInput(
    taskSpec,
    {
      ...task.spec,
      prompt: {
        system: content.system,
        template: content.template,
        demos: content.demos,
        demoSeparator: content.demoSeparator,
      },
      generation: content.generation ?? task.spec.generation,
    },
    {
      where: `${version.task}@${version.number} as stored`,
      code: 'REGISTRY_VERSION_UNSERVABLE',
      hint: 'The stored version is not valid with this spec; push a corrected version.',
    },
  );
  return { ...task, spec };
}

/** A soft prompt from `folder` on the local model, reading each example's one input field as is. */
async function softSubject(task: Task, args: SubjectOptions, folder: string) {
  const fields = task.spec.input.fields;
  if (fields.length !== 1)
    throw new ValidationError(`task ${task.spec.name} has ${fields.length} input fields`, {
      code: 'AUDIT_SOFT_FIELDS',
      hint: 'A soft prompt reads one input text; audit a task with one input field.',
    });
  const resolved: ResolvedModel = await resolveModel(args.model, {
    local: { hub: { onProgress: downloadProgress() } },
  });
  if (resolved.provider !== 'local')
    throw new ValidationError(`${args.model} is not a local model`, {
      code: 'AUDIT_SOFT_NEEDS_LOCAL',
      hint: 'Soft prompts run on the local engine: pass --model local:<path or hf:org/name>.',
    });
  const { model, tokenizer } = await (resolved.model as LocalLanguageModel).loaded();
  const { prompt, adapter } = loadTrainedAdapter(folder, model, { force: args.force });
  // the model id names what answers (and keys the response cache): a prompt's vectors, a LoRA adapter's
  // matrices and scale, a prefix's keys and values
  const hash = createHash('sha256');
  const prefix = adapter && isKeyValuePrefix(adapter) ? adapter : undefined;
  const lowRank = adapter && !isKeyValuePrefix(adapter) ? adapter : undefined;
  const values = lowRank ? packAdapter(lowRank).values : prefix ? prefix.values : prompt.values;
  hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  if (lowRank) hash.update(`lora scale ${lowRank.scale}`);
  if (prefix) hash.update(`prefix of ${prefix.length}`);
  // named by what it adds to the model: a soft prompt, a prefix, or a LoRA adapter
  const added = `${lowRank ? 'lora' : prefix ? 'prefix' : 'soft'}:${hash.digest('hex').slice(0, 12)}`;
  const modelId = `${resolved.modelId}+${added}`;
  const soft = new SoftPromptLanguageModel(modelId, new SoftPromptSession(model, tokenizer, prompt, adapter));
  return {
    // the raw input, no template, instruction or demos: what the soft prompt was trained on
    task: {
      ...task,
      spec: {
        ...task.spec,
        prompt: { ...task.spec.prompt, system: undefined, template: `{{${fields[0]}}}`, demos: [] },
      },
    },
    model: { name: `${args.model}+${added}`, provider: 'local', modelId, model: soft },
    // read once loadTrainedAdapter has checked the config
    method: adapterMethodName(
      (JSON.parse(readFileSync(join(folder, 'adapter_config.json'), 'utf8')) as { peft_type?: unknown })
        .peft_type,
    ),
  };
}
