// `promptune compare <a.json> <b.json>`: paired comparison of two JSON reports (eval --report-json):
// the score difference with its interval and p-value, and the examples that flipped.
import { defineCommand } from 'citty';
import { compareReports, readReport } from '../../eval/index.js';
import { numberOption } from '../options.js';

export default defineCommand({
  meta: { name: 'compare', description: 'Compare two evaluation reports on their shared examples' },
  args: {
    a: { type: 'positional', required: true, description: 'The baseline report (JSON)' },
    b: { type: 'positional', required: true, description: 'The candidate report (JSON)' },
    level: { type: 'string', default: '0.95', description: 'Confidence level of the interval and test' },
    json: { type: 'boolean', default: false, description: 'Print JSON' },
  },
  run({ args }) {
    const comparison = compareReports(
      readReport(args.a),
      readReport(args.b),
      numberOption('level', args.level, { min: 0.5, max: 0.999 }),
    );
    if (args.json) {
      process.stdout.write(JSON.stringify(comparison, null, 2) + '\n');
      return;
    }
    const { a, b, difference, interval, pValue, test, significant, improved, regressed, n } = comparison;
    // each side by its file, and by its model where the models differ (two prompts on one model often)
    const side = (path: string, model: string) => (a.model === b.model ? path : `${path} (${model})`);
    process.stdout.write(
      `${side(args.a, a.model)}: ${a.score.toFixed(3)}  ->  ${side(args.b, b.model)}: ${b.score.toFixed(3)} on ${n} shared examples${a.model === b.model ? `, both on ${a.model}` : ''}\n`,
    );
    process.stdout.write(
      `difference ${difference >= 0 ? '+' : ''}${difference.toFixed(3)} [${interval[0].toFixed(3)}, ${interval[1].toFixed(3)}], p = ${pValue.toFixed(4)} (${test === 'mcnemar-exact' ? "McNemar's exact test" : 'paired bootstrap'}): ${significant ? 'significant' : 'not significant'}\n`,
    );
    process.stdout.write(
      `flipped: ${improved.length} now right (lines ${improved.map((x) => x.line).join(', ') || '-'}), ${regressed.length} now wrong (lines ${regressed.map((x) => x.line).join(', ') || '-'})\n`,
    );
  },
});
