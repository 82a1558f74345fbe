// `promptune monitor`: the aggregates of the registry's traces over a time range, per task, version and
// label (requests, errors, latency percentiles, tokens, cost, scores), as a compact table with
// sparklines or as JSON. A read: it writes nothing.
import { defineCommand } from 'citty';
import {
  checkTaskFilter,
  versionFilter,
  monitor,
  parseTimeReference,
  windowFor,
  windowLengths,
  type WindowName,
} from '../../observe/index.js';
import { ValidationError } from '../../errors/index.js';
import { renderMonitor } from '../monitor-table.js';
import { versionNumbers } from '../version-numbers.js';
import { withRegistry, registryOption } from '../registry-access.js';

export default defineCommand({
  meta: {
    name: 'monitor',
    description: 'Requests, errors, latency, tokens, cost and scores of served tasks',
  },
  args: {
    task: { type: 'string', description: 'One task (default: all)' },
    version: { type: 'string', description: 'One version id' },
    label: { type: 'string', description: 'One label' },
    since: { type: 'string', default: '24h', description: 'Start: a duration ago (24h) or an ISO time' },
    until: { type: 'string', description: 'End: a duration ago or an ISO time (default: now)' },
    window: { type: 'string', description: 'minute, hour or day (default: by the range)' },
    source: {
      type: 'string',
      default: 'service',
      description: 'Whose traces: service (requests) or eval (eval --trace runs)',
    },
    json: { type: 'boolean', description: 'Print the report as JSON' },
    db: registryOption,
  },
  run: ({ args }) =>
    withRegistry(args, async (registry) => {
      const now = Date.now();
      const since = parseTimeReference(args.since, now, '--since');
      const until = args.until ? parseTimeReference(args.until, now, '--until') : now + 1;
      if (args.window !== undefined && !Object.hasOwn(windowLengths, args.window))
        throw new ValidationError(`--window "${args.window}" is not minute, hour or day`, {
          code: 'CLI_INVALID_OPTION',
          hint: 'Pass --window minute, hour or day.',
        });
      // optimize records no traces (its calls are scored in its trials, journal and report)
      if (!['service', 'eval'].includes(args.source))
        throw new ValidationError(`--source "${args.source}" is not service or eval`, {
          code: 'CLI_INVALID_OPTION',
          hint: 'Pass --source service, or eval for the calls of eval --trace runs.',
        });
      if (since >= until)
        throw new ValidationError('--since is not before --until', {
          code: 'CLI_INVALID_OPTION',
          hint: 'Give --since earlier than --until (e.g. --since 24h).',
        });
      const window = (args.window as WindowName | undefined) ?? windowFor(until - since);
      const report = await monitor(registry, {
        task: args.task,
        version: await versionFilter(registry, args.task, args.version),
        label: args.label,
        since,
        until,
        window,
        source: args.source as 'service' | 'eval',
      });
      await checkTaskFilter(registry, args.task, report.groups.length);
      if (args.json) return void process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      const numbers = await versionNumbers(
        registry,
        report.groups.map((group) => group.task),
      );
      process.stdout.write(renderMonitor(report, windowLengths[window], numbers));
    }),
});
