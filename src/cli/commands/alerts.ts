// `promptune alerts`: `ls` shows each rule's last state (as the service saved it) and the history of
// firings and resolutions; with --rules it also lists rules that have not been evaluated yet. `check`
// validates a rules file without starting anything.
import { defineCommand } from 'citty';
import { alertValueText, formatDuration, readAlertRules } from '../../observe/index.js';
import { numberOption } from '../options.js';
import { withRegistry, registryOption } from '../registry-access.js';

const time = (at: number) => new Date(at).toISOString().replace('.000Z', 'Z');

const list = defineCommand({
  meta: { name: 'ls', description: 'Alert rules’ states and their history' },
  args: {
    db: registryOption,
    rules: {
      type: 'string',
      description: 'The rules file the service runs (lists rules not yet evaluated too)',
    },
    history: { type: 'string', default: '20', description: 'How many firings and resolutions to show' },
    json: { type: 'boolean', description: 'Print JSON' },
  },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      const rules = args.rules ? readAlertRules(args.rules).rules : [];
      const statuses = await registry.alerts.load();
      const limit = numberOption('history', args.history, { integer: true, min: 0 }) ?? 20;
      const history = limit ? await registry.alerts.history({ limit }) : [];
      if (args.json) return void process.stdout.write(`${JSON.stringify({ statuses, history }, null, 2)}\n`);
      const names = [
        ...new Set([...rules.map((rule) => rule.name), ...statuses.map((status) => status.rule)]),
      ];
      if (names.length === 0)
        process.stdout.write('no alert rules have been evaluated (serve --alerts <rules.yaml>)\n');
      const metricOf = (name: string) => rules.find((rule) => rule.name === name)?.metric;
      for (const name of names) {
        const status = statuses.find((candidate) => candidate.rule === name);
        const rule = rules.find((candidate) => candidate.name === name);
        const condition = rule
          ? `${rule.metric}${rule.score ? `(${rule.score})` : ''} ${rule.comparison} ${alertValueText(rule.threshold, rule.metric)} over ${formatDuration(rule.window)}`
          : args.rules
            ? `not in ${args.rules} (the service forgets it when it runs that file)`
            : '';
        const value = status ? `value ${alertValueText(status.value, rule?.metric)} (n=${status.count})` : '';
        process.stdout.write(
          `${name.padEnd(24)} ${(status?.state ?? 'not evaluated').padEnd(14)} ${status ? `since ${time(status.since)}  ${value}` : ''}  ${condition}${status?.error ? `  error: ${status.error}` : ''}\n`,
        );
      }
      if (history.length) process.stdout.write('\nhistory (newest first):\n');
      for (const event of history) {
        const metric = metricOf(event.rule);
        const reason = typeof event.detail?.reason === 'string' ? `  ${event.detail.reason}` : '';
        process.stdout.write(
          `  ${time(event.at)}  ${event.rule}  ${event.state}  value ${alertValueText(event.value, metric)} (threshold ${alertValueText(event.threshold, metric)}, n=${event.count})${reason}\n`,
        );
      }
    }),
});

const check = defineCommand({
  meta: { name: 'check', description: 'Validate an alert rules file' },
  args: {
    file: { type: 'positional', required: true, description: 'The rules file (YAML)' },
    json: { type: 'boolean', description: 'Print JSON (the rules as read, defaults filled)' },
  },
  run: ({ args }) => {
    const rules = readAlertRules(args.file);
    if (args.json) return void process.stdout.write(`${JSON.stringify(rules, null, 2)}\n`);
    process.stdout.write(
      `${args.file}: ${rules.rules.length} rules, evaluated every ${rules.interval / 1000}s\n`,
    );
  },
});

export default defineCommand({
  meta: { name: 'alerts', description: 'Alert rules: states, history and checks' },
  subCommands: { ls: list, check },
});
