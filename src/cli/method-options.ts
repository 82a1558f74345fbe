// Which method options each `soft train --method` reads: an option written for another method is refused
// (CLI_INVALID_OPTION), never ignored.
import { ValidationError } from '../errors/index.js';
import { METHOD_OPTIONS, methodOptionsRead } from '../soft/index.js';
import type { Method, MethodArgs } from './method-plan.js';

/** The method options whose presence says which methods they are for. */
type MethodOptionArgs = Pick<
  MethodArgs,
  'prefix-projection' | 'encoder-hidden' | 'encoder' | 'task-rank' | 'source' | 'transfer'
>;

/**
 * Refuses options of another method (--prefix-projection without prefix tuning, --source without
 * multitask prompt tuning, …) and, of those `given` on the command line, any `method` would ignore.
 */
export function refuseOtherMethodsOptions(
  method: Method,
  args: MethodOptionArgs,
  given: ReadonlySet<string>,
): void {
  // options another method reads are refused, not ignored
  const invalid = (message: string, hint: string) =>
    new ValidationError(message, { code: 'CLI_INVALID_OPTION', hint });
  if (args['prefix-projection'] && method !== 'prefix-tuning')
    throw invalid(
      `--prefix-projection is for --method prefix-tuning, not ${method}`,
      'Drop --prefix-projection.',
    );
  if (args['encoder-hidden'] !== undefined && method !== 'p-tuning' && !args['prefix-projection'])
    throw invalid(
      `--encoder-hidden sizes P-tuning's encoder or --prefix-projection's MLP; --method ${method} has neither`,
      'Drop --encoder-hidden, or add --prefix-projection to prefix tuning.',
    );
  if (args.encoder !== undefined && method !== 'p-tuning')
    throw invalid(`--encoder is for --method p-tuning, not ${method}`, 'Drop --encoder.');
  const multitaskOnly = (
    [
      ['task-rank', args['task-rank']],
      ['source', args.source],
      ['transfer', args.transfer],
    ] as const
  ).find(([, value]) => value !== undefined);
  if (multitaskOnly && method !== 'multitask-prompt-tuning')
    throw invalid(
      `--${multitaskOnly[0]} is for --method multitask-prompt-tuning, not ${method}`,
      `Drop --${multitaskOnly[0]}.`,
    );
  if (args.transfer !== undefined && args.source === undefined)
    throw invalid(
      '--transfer says how to start from a --source; no --source was given',
      'Add --source <multitask adapter folder>, or drop --transfer.',
    );
  checkOptionsRead(method, args, given);
}

/** The method options `method` reads with these arguments. */
function optionsRead(method: Method, args: MethodOptionArgs): Set<string> {
  return new Set(
    methodOptionsRead(method, { projection: args['prefix-projection'], source: args.source !== undefined }),
  );
}

/** Refuses a method option written on the command line that `method` would ignore (CLI_INVALID_OPTION). */
function checkOptionsRead(method: Method, args: MethodOptionArgs, given: ReadonlySet<string>): void {
  const reads = optionsRead(method, args);
  const ignored = METHOD_OPTIONS.find((option) => given.has(option) && !reads.has(option));
  if (ignored === undefined) return;
  const projected = method === 'prefix-tuning' && args['prefix-projection'];
  const why =
    method === 'multitask-prompt-tuning' && args.source
      ? "a prompt transferred from --source keeps its source's"
      : `--method ${method}${projected ? " --prefix-projection (its MLP starts random, as PEFT's)" : ''} ${reads.size ? `reads only ${[...reads].map((option) => `--${option}`).join(', ')}` : "reads none of the methods' options"}`;
  throw new ValidationError(`--${ignored} would be ignored: ${why}`, {
    code: 'CLI_INVALID_OPTION',
    hint: `Drop --${ignored}.`,
  });
}
