// `promptune registry`: the versioned prompt library from the command line. SQLite at --db (default
// .promptune/registry.sqlite), or Postgres when DATABASE_URL is set. The CLI acts as the local operator
// with read and run scopes; --admin adds the admin scope that protected labels need.
import { defineCommand } from 'citty';
import { lineageLines, loopOutcomesByVersion } from '../version-lineage.js';
import { versionNumbers } from '../version-numbers.js';
import { writeFileAtomically } from '../../engine/index.js';
import { dirname, relative } from 'node:path';
import { z } from 'zod';
import { nearestName, readJsonFile } from '../../errors/index.js';
import {
  contentHash,
  diffServingSpecs,
  diffVersionDatasets,
  diffVersions,
  exportTask,
  hardVersionContent,
  importBundle,
  registerTask,
  versionBaseModel,
  versionMethod,
  versionShapeText,
  versionTestScore,
  type PolicyVerdict,
  type Registry,
} from '../../registry/index.js';
import { loadTask, type TaskSpec } from '../../tasks/index.js';
import { pushAndLabel, versionReference, withRegistry } from '../registry-access.js';
import { textColumns } from '../text-columns.js';
import { checkOutputFile } from '../output-file.js';
import { checkAdapterFolder, pushAdapterFolder } from '../adapter-push.js';
import { givenOptions, refuseIgnored } from '../options.js';
import { checkPushedGuards } from '../pushed-guards.js';

const common = {
  db: {
    type: 'string',
    default: '.promptune/registry.sqlite',
    description: 'SQLite registry file (ignored when DATABASE_URL is set)',
  },
  admin: {
    type: 'boolean',
    default: false,
    description: 'Act with the admin scope (needed for protected labels)',
  },
  json: { type: 'boolean', default: false, description: 'Print JSON' },
} as const;

type CommonArgs = { db: string; admin: boolean; json: boolean };

const print = (args: CommonArgs, value: unknown, text: string) =>
  process.stdout.write(args.json ? JSON.stringify(value, null, 2) + '\n' : text);

/** Names versions as people do, by number with the id's start: "@3 (a2a218756506)"; "(new)" for none. */
async function versionNamer(registry: Registry, task: string): Promise<(id: string | null) => string> {
  const numbers = await versionNumbers(registry, [task]);
  return (id) => (id === null ? '(new)' : `@${numbers.get(id) ?? '?'} (${id.slice(0, 12)})`);
}

const push = defineCommand({
  meta: {
    name: 'push',
    description:
      "Register a task spec's prompt (and its datasets) as a new version, or with --adapter an adapter folder (PEFT's or promptune's) as a soft version of the task",
  },
  args: {
    ...common,
    task: { type: 'string', required: true, description: 'Task spec file' },
    adapter: {
      type: 'string',
      description:
        "An adapter folder (PEFT's PROMPT_TUNING, P_TUNING, PREFIX_TUNING, LORA or a one-task MULTITASK_PROMPT_TUNING, or a promptune run's) to register instead of the spec's prompt",
    },
    model: {
      type: 'string',
      description: 'With --adapter: the base model the service runs, to check the adapter loads on it first',
    },
    force: {
      type: 'boolean',
      default: false,
      description: 'With --adapter --model: accept an adapter promptune trained on another base model',
    },
    'other-task': {
      type: 'boolean',
      default: false,
      description:
        "With --adapter: register an adapter whose promptune.json names another task (its recorded scores are that task's)",
    },
    message: { type: 'string', default: '', description: 'What changed' },
    label: { type: 'string', description: 'Point this label at the new version' },
  },
  run: async ({ args, rawArgs }) => {
    const written = givenOptions(rawArgs);
    if (args.adapter === undefined)
      refuseIgnored(
        written,
        ['model', 'force', 'other-task'],
        'they check an adapter folder before it is registered',
        (option) => `Add --adapter <folder>, or drop --${option}.`,
      );
    if (args.model === undefined)
      refuseIgnored(
        written,
        ['force'],
        'it lets an adapter load on a model it was not trained on',
        () => 'Add --model <the model the service runs>, or drop --force.',
      );
    const task = loadTask(args.task);
    await checkPushedGuards(task.spec, dirname(task.path!), args.label);
    // the folder is checked before the registry is opened: a refused adapter registers nothing
    const adapter =
      args.adapter === undefined
        ? undefined
        : await checkAdapterFolder(args.adapter, task.spec.name, {
            model: args.model,
            force: args.force,
            otherTask: args['other-task'],
          });
    if (adapter && !adapter.checked)
      process.stderr.write(
        `${args.adapter} was not loaded on a model: pass --model <the service's model> to check it fits before it is served\n`,
      );
    await withRegistry(args, async (registry, actor) => {
      await warnUnknownPolicyLabels(registry, task.spec);
      const { version, created } = await pushAndLabel(
        registry,
        actor,
        { name: args.label, reason: args.message },
        async (target) =>
          adapter
            ? pushAdapterFolder(target, actor, task, {
                directory: args.adapter!,
                method: adapter.method,
                model: args.model,
                trainedFor: adapter.trainedFor,
                message: args.message,
              })
            : target.pushVersion({
                task: task.spec.name,
                kind: 'hard',
                content: hardVersionContent(task.spec),
                spec: task.spec,
                run: {
                  kind: 'manual',
                  spec: relative(process.cwd(), task.path!),
                  datasets: await registerTask(target, task, actor.name),
                },
                message: args.message,
                actor,
              }),
      );
      print(
        args,
        { version, created },
        `${created ? 'pushed' : 'unchanged:'} ${version.task}@${version.number} (${version.id.slice(0, 12)})${adapter ? `, a ${versionMethod(version)} version of ${args.adapter}` : ''}${args.label ? `, labelled ${args.label}` : ''}\n`,
      );
    });
  },
});

const list = defineCommand({
  meta: { name: 'ls', description: 'List tasks, or the versions of one task' },
  args: {
    ...common,
    task: { type: 'positional', required: false, description: 'A task to list versions of' },
  },
  run: ({ args }) =>
    withRegistry(
      args,
      async (registry) => {
        if (!args.task) {
          const tasks = await registry.listTasks();
          print(
            args,
            tasks,
            textColumns([
              ['task', 'versions', 'labels'],
              ...tasks.map((task) => [
                task.name,
                `${task.versions}`,
                Object.entries(task.labels)
                  .map(([label, number]) => `${label}=${number}`)
                  .join(' ') || '-',
              ]),
            ]),
          );
          return;
        }
        const versions = await registry.listVersions(args.task);
        const labels = await registry.listLabels(args.task);
        const loopOutcomes = await loopOutcomesByVersion(registry, args.task);
        const byVersion = (id: string) =>
          labels
            .filter((label) => label.version === id)
            .map((label) => label.label + (label.protected ? '*' : ''));
        print(
          args,
          { versions, labels, loopOutcomes: Object.fromEntries(loopOutcomes) },
          textColumns([
            // what a version is beside its method (rank, positions), what it scored and on which base
            // model, and how the loop iteration that made it ended: choosing which to label needs them,
            // which had taken a registry show per version
            [
              'version',
              'id',
              'method',
              'shape',
              'test',
              'base model',
              'created',
              'by',
              'labels',
              'loop',
              'message',
            ],
            ...versions.map((version) => [
              `${version.number}`,
              version.id.slice(0, 12),
              versionMethod(version),
              versionShapeText(version) ?? '-',
              versionTestScore(version) ?? '-',
              versionBaseModel(version)?.name ?? '-',
              version.createdAt,
              version.actor,
              byVersion(version.id).join(',') || '-',
              loopOutcomes.get(version.id) ?? '-',
              version.message,
            ]),
          ]),
        );
      },
      { reads: true },
    ),
});

/** Whether a label's move to the version would pass its audit policy, in a line. */
function policyVerdictText(verdict: PolicyVerdict): string {
  const notCounted = verdict.notCounted.map((reason) => `; not counted, ${reason}`).join('');
  const here = verdict.current ? `${verdict.label} points here; ` : '';
  if (verdict.met)
    return `${here}met${verdict.counted.length ? ` by ${verdict.counted.join(', ')}` : ''}${notCounted}`;
  const refused = verdict.current ? 'moved here by an override' : 'a move here is refused';
  return `${here}not met, ${refused}: ${verdict.failures.join('; ')}${notCounted}${verdict.heldByIncumbent ? ' (only the policy of the version the label points at holds it)' : ''}`;
}

const show = defineCommand({
  meta: { name: 'show', description: 'Show a version (task, task@label, task@number, task@id)' },
  args: { ...common, version: { type: 'positional', required: true, description: 'task[@ref]' } },
  run: ({ args }) =>
    withRegistry(
      args,
      async (registry) => {
        const { task, ref } = versionReference(args.version);
        const version = await registry.resolveVersion(task, ref);
        const history = (await registry.listLabels(task)).some((label) => label.label === ref)
          ? await registry.labelHistory(task, ref)
          : undefined;
        const spec = await registry.getSpec(version.specId);
        const named = await versionNamer(registry, task);
        const latest = contentHash(await registry.getTask(task)) === version.specId;
        const policy = await registry.auditPolicyVerdicts(task, version.id);
        // the run, parent and dataset version by the names people use, not only the ids the record holds
        const lineage = await lineageLines(registry, version);
        const text = [
          `${version.task}@${version.number}  ${version.id}`,
          `${versionMethod(version)} (kind ${version.kind}), by ${version.actor} at ${version.createdAt}${version.parent ? `, from ${version.parent.slice(0, 12)}` : ''}`,
          `serves with task spec ${version.specId.slice(0, 12)}${latest ? " (the task's latest)" : ", not the task's latest"}`,
          version.message && `message: ${version.message}`,
          ...lineage,
          version.run && `lineage: ${JSON.stringify(version.run)}`,
          JSON.stringify(version.content, null, 2),
          ...policy.map((verdict) => `audit policy of ${verdict.label}: ${policyVerdictText(verdict)}`),
          ...(history
            ? [
                `history of ${ref}:`,
                ...history.map(
                  (event) =>
                    `  move ${event.id}  ${event.at} ${event.actor}: ${named(event.from)} -> ${named(event.to)} ${event.reason}`,
                ),
              ]
            : []),
        ].filter(Boolean);
        print(args, { version, spec, history, auditPolicy: policy }, text.join('\n') + '\n');
      },
      { reads: true },
    ),
});

const diff = defineCommand({
  meta: { name: 'diff', description: 'Show what changed between two versions' },
  args: {
    ...common,
    from: { type: 'positional', required: true, description: 'task@ref' },
    to: { type: 'positional', required: true, description: 'task@ref' },
  },
  run: ({ args }) =>
    withRegistry(
      args,
      async (registry) => {
        const a = versionReference(args.from);
        const b = versionReference(args.to);
        const [from, to] = [
          await registry.resolveVersion(a.task, a.ref),
          await registry.resolveVersion(b.task, b.ref),
        ];
        // the same prompt or adapter served under another spec (a constraint added) answers otherwise
        const lines = [
          ...diffVersions(from, to),
          ...(from.specId === to.specId
            ? []
            : diffServingSpecs(
                await registry.getSpec(from.specId),
                await registry.getSpec(to.specId),
                // a hard version serves its own generation settings, when it holds them
                from.content.generation !== undefined && to.content.generation !== undefined
                  ? ['generation']
                  : [],
              )),
          // the same settings re-tuned on other data (corrections) are another version
          ...(await diffVersionDatasets(registry, from, to)),
        ];
        print(args, lines, lines.length ? lines.join('\n') + '\n' : 'no differences\n');
      },
      { reads: true },
    ),
});

const label = defineCommand({
  meta: { name: 'label', description: 'Point a label (production, staging, ...) at a version' },
  args: {
    ...common,
    task: { type: 'positional', required: true, description: 'Task' },
    label: { type: 'positional', required: true, description: 'Label' },
    version: { type: 'positional', required: true, description: 'Version: number, label, or id prefix' },
    reason: { type: 'string', default: '', description: 'Why (kept in the audit log)' },
    protect: {
      type: 'boolean',
      description: 'Protect the label (--no-protect removes protection); needs --admin',
      negativeDescription: "Remove the label's protection; needs --admin",
    },
    'override-policy': {
      type: 'string',
      description:
        "Move it although the version fails the task's audit policy, for this reason (kept in the label's history); needs --admin",
    },
  },
  run: ({ args }) =>
    withRegistry(args, async (registry, actor) => {
      const event = await registry.setLabel({
        task: args.task,
        label: args.label,
        reference: args.version,
        actor,
        reason: args.reason,
        protect: args.protect,
        overridePolicy: args['override-policy'],
      });
      const named = await versionNamer(registry, args.task);
      print(
        args,
        event,
        event.moved
          ? `${args.task}@${args.label}: ${named(event.from)} -> ${named(event.to)}\n`
          : `${args.task}@${args.label}: already ${named(event.to)}, unchanged\n`,
      );
    }),
});

const rollback = defineCommand({
  meta: {
    name: 'rollback',
    description:
      'Move a label back to where its latest move not yet rolled back came from (again: one move further back)',
  },
  args: {
    ...common,
    task: { type: 'positional', required: true, description: 'Task' },
    label: { type: 'positional', required: true, description: 'Label' },
    reason: { type: 'string', description: "Why, kept in the label's history" },
  },
  run: ({ args }) =>
    withRegistry(args, async (registry, actor) => {
      const event = await registry.rollback({
        task: args.task,
        label: args.label,
        actor,
        reason: args.reason,
      });
      const named = await versionNamer(registry, args.task);
      print(
        args,
        event,
        `${args.task}@${args.label}: ${named(event.from)} -> ${named(event.to)} (${event.reason})\n`,
      );
    }),
});

const exportCommand = defineCommand({
  meta: {
    name: 'export',
    description: "Write a task's versions, labels, datasets and dataset versions to a JSON bundle",
  },
  args: {
    ...common,
    task: { type: 'positional', required: true, description: 'Task' },
    out: { type: 'string', required: true, description: 'Bundle file to write' },
  },
  run: ({ args }) =>
    withRegistry(
      args,
      async (registry) => {
        checkOutputFile('out', args.out, 'the bundle');
        const bundle = await exportTask(registry, args.task);
        writeFileAtomically(args.out, JSON.stringify(bundle) + '\n');
        print(
          args,
          { versions: bundle.versions.length, out: args.out },
          `exported ${bundle.versions.length} versions of ${args.task} to ${args.out}\n`,
        );
      },
      { reads: true },
    ),
});

const importCommand = defineCommand({
  meta: { name: 'import', description: 'Load a bundle written by registry export' },
  args: { ...common, file: { type: 'positional', required: true, description: 'Bundle file' } },
  run: ({ args }) => {
    // read before the registry opens: a file that is not a bundle touches no registry
    const where = `bundle ${args.file}`;
    const bundle = readJsonFile(args.file, z.unknown(), {
      where,
      code: 'REGISTRY_BAD_BUNDLE',
      hint: 'Import a file written by promptune registry export.',
      notFoundCode: 'REGISTRY_NO_BUNDLE',
      notFoundHint: 'Pass the path of a file written by promptune registry export.',
    });
    return withRegistry(args, async (registry, actor) => {
      const result = await importBundle(registry, bundle, actor, { where });
      print(
        args,
        result,
        `imported ${result.task}: ${result.created} new versions, ${result.existing} already present\n`,
      );
    });
  },
});

export default defineCommand({
  meta: { name: 'registry', description: 'The versioned prompt library' },
  subCommands: { push, ls: list, show, diff, label, rollback, export: exportCommand, import: importCommand },
});

/**
 * Says on stderr which labels a spec's audit policy guards that the task does not have yet, with the
 * name meant when one is near: a misspelt label (prodution) guards nothing, and production moved freely.
 */
async function warnUnknownPolicyLabels(registry: Registry, spec: TaskSpec): Promise<void> {
  const guarded = spec.audit?.policy?.labels ?? [];
  if (guarded.length === 0) return;
  const known = new Set(
    (await registry.listLabels(spec.name)).map((label) => label.label).concat('production'),
  );
  for (const label of guarded) {
    if (known.has(label)) continue;
    const meant = nearestName(label, known);
    process.stderr.write(
      `warning: the audit policy guards label ${label}, which task ${spec.name} does not have${meant ? `; did you mean ${meant}?` : ' yet'} (it guards moves to the labels it names only)\n`,
    );
  }
}
