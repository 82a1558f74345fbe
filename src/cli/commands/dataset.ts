// `promptune dataset stats <file>`: sizes, label distribution, lengths and duplicates of a JSONL/CSV file.
import { defineCommand } from 'citty';
import { datasetStats, findDuplicates, readExamples } from '../../tasks/index.js';

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
          `  ${JSON.stringify(label).padEnd(20)} ${count} (${((100 * count) / result.size).toFixed(1)}%)\n`,
        );
    }
  },
});

export default defineCommand({
  meta: { name: 'dataset', description: 'Inspect datasets' },
  subCommands: { stats },
});
