// `promptune dataset stats <file>`: sizes, label distribution, lengths and duplicates of a JSONL/CSV file;
// `dataset versions <task>` and `dataset pull <task>[@N] --out <folder>`: the registry's numbered
// dataset versions, listed and written out as files.
import { defineCommand } from 'citty';
import { padToWidth } from '../../errors/index.js';
import { datasetStats, findDuplicates, readExamples } from '../../tasks/index.js';
import { writeDatasetVersion } from '../../registry/index.js';
import { numberOption } from '../options.js';
import { registryOption, withRegistry } from '../registry-access.js';

const stats = defineCommand({
  meta: { name: 'stats', description: 'Print sizes, label distribution, lengths and duplicates' },
  args: {
    file: { type: 'positional', required: true, description: 'A .jsonl or .csv dataset' },
    'input-fields': { type: 'string', default: 'input', description: 'Comma-separated input field names' },
    'target-field': { type: 'string', default: 'target', description: 'Target field name' },
    json: { type: 'boolean', default: false, description: 'Print JSON' },
  },
  run({ args }) {
    const examples = readExamples(args.file, {
      inputFields: args['input-fields'].split(','),
      targetField: args['target-field'],
    });
    const result = datasetStats(examples);
    if (args.json) {
      process.stdout.write(
        JSON.stringify({ ...result, duplicateGroups: findDuplicates(examples) }, null, 2) + '\n',
      );
      return;
    }
    const range = (value: { min: number; mean: number; max: number }) =>
      `min ${value.min}, mean ${value.mean}, max ${value.max}`;
    process.stdout.write(`examples          ${result.size}\n`);
    process.stdout.write(`input characters  ${range(result.inputCharacters)}\n`);
    process.stdout.write(`input words       ${range(result.inputWords)}\n`);
    process.stdout.write(`target characters ${range(result.targetCharacters)}\n`);
    process.stdout.write(
      `duplicates        ${result.duplicates} (${result.conflictingDuplicates} groups with conflicting targets)\n`,
    );
    if (result.labels) {
      process.stdout.write('labels\n');
      for (const [label, count] of Object.entries(result.labels))
        process.stdout.write(
          `  ${padToWidth(JSON.stringify(label), 20)} ${count} (${((100 * count) / result.size).toFixed(1)}%)\n`,
        );
      // two labels that look the same: one text in two Unicode forms (é as one code point, or e + U+0301)
      const byForm = new Map<string, string[]>();
      for (const label of Object.keys(result.labels)) {
        const composed = label.normalize('NFC');
        byForm.set(composed, [...(byForm.get(composed) ?? []), label]);
      }
      for (const alike of byForm.values())
        if (alike.length > 1)
          process.stderr.write(
            `warning: labels ${alike.map((label) => `${JSON.stringify(label)} (${[...label].length} code points)`).join(' and ')} are one text in different Unicode forms (composed and decomposed): the label metric reads them as one; normalize the data to NFC so they count as one label\n`,
          );
    }
  },
});

const versions = defineCommand({
  meta: { name: 'versions', description: "A task's numbered dataset versions in the registry" },
  args: {
    db: registryOption,
    task: { type: 'positional', required: true, description: 'Task name' },
    json: { type: 'boolean', description: 'Print JSON' },
  },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      const listed = await registry.datasetVersions.list(args.task);
      if (args.json) return void process.stdout.write(`${JSON.stringify(listed, null, 2)}\n`);
      const stored = await registry.listDatasets(args.task);
      const rows = (id: string) => stored.find((dataset) => dataset.id === id)?.rows ?? '?';
      for (const version of listed)
        process.stdout.write(
          `${String(version.number).padStart(3)}  ${new Date(version.createdAt).toISOString()}  ${version.source.padEnd(24)} ${Object.entries(
            version.splits,
          )
            .map(([split, id]) => `${split} ${rows(id)}`)
            .join(', ')}  ${version.message}\n`,
        );
      if (listed.length === 0)
        process.stdout.write(
          `${args.task} has no dataset versions (push the task with its data to make one)\n`,
        );
    }),
});

const pull = defineCommand({
  meta: { name: 'pull', description: 'Write a dataset version as <out>/<split>.jsonl (for --data)' },
  args: {
    db: registryOption,
    reference: { type: 'positional', required: true, description: 'task or task@<version number>' },
    out: { type: 'string', required: true, description: 'Folder to write' },
  },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      const [task, number] = args.reference.split('@');
      const version = await registry.datasetVersions.get(
        task,
        numberOption('reference version', number, { integer: true, min: 1 }),
      );
      const files = await writeDatasetVersion(registry, version, args.out);
      process.stdout.write(`${task} dataset version ${version.number}: ${files.join(', ')}\n`);
    }),
});

export default defineCommand({
  meta: { name: 'dataset', description: 'Inspect datasets, list and pull stored dataset versions' },
  subCommands: { stats, versions, pull },
});
