// The options of commands that call a model through the evaluation harness (eval, optimize, the
// audits): how many calls run at once, and how long one may take before it is abandoned and retried.
import { numberOption } from './options.js';

/** The longest a timer waits, in whole seconds. */
const maximumTimeoutSeconds = Math.floor((2 ** 31 - 1) / 1000);

/** The option definitions. */
export const callArgs = {
  concurrency: { type: 'string', default: '4', description: 'Model calls in flight at once' },
  timeout: {
    type: 'string',
    default: '120',
    description:
      'Seconds one model call may take before it is abandoned and retried (a slow local server or a long answer needs more)',
  },
} as const;

/** What the options say, for the harness. */
export function callOptions(args: { concurrency: string; timeout: string }): {
  concurrency: number;
  timeoutMs: number;
} {
  return {
    concurrency: numberOption('concurrency', args.concurrency, { integer: true, min: 1 }) ?? 4,
    // whole milliseconds, within what a timer can wait (about 24.8 days)
    timeoutMs: Math.max(
      1,
      Math.round(
        (numberOption('timeout', args.timeout, { above: 0, max: maximumTimeoutSeconds }) ?? 120) * 1000,
      ),
    ),
  };
}
