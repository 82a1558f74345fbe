// A job's command line checked at submission as its command checks it first when it runs: each option's
// value and how the options combine (`optimize --optimizer propose` without --teacher, `--label` without
// --push), so what the command would refuse is refused before the job is queued, not on a worker after.
// Nothing the command reads is looked at (the spec, the data, a model, the registry): an earlier job may
// write it, and the worker reads it where it runs.
import { parseArgs, type ArgsDef, type CommandDef } from 'citty';
import { ValidationError } from '../errors/index.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- each command has its own options' types */
/** A command's check of its options' values and combinations (it reads nothing; it throws its refusal). */
export type OptionCheck = (args: any, rawArgs: string[]) => unknown;

/** A job command's definition (for its options) and its check. */
type CheckedCommand = [CommandDef<any>, OptionCheck];
/* eslint-enable @typescript-eslint/no-explicit-any */

/** A command's subcommand by name (`audit`'s `bias`). */
const subCommand = (command: CommandDef, name: string) =>
  (command.subCommands as Record<string, CommandDef>)[name];

/** An audit command (`audit bias`) and its check. */
function audit(
  name: string,
  check: (module: typeof import('./commands/audit.js')) => OptionCheck,
): () => Promise<CheckedCommand> {
  return () =>
    import('./commands/audit.js').then((module) => [subCommand(module.default, name), check(module)]);
}

/** The checks of the commands a job may run, by the command's words, each imported when it is needed. */
export const jobOptionChecks: Readonly<Record<string, () => Promise<CheckedCommand>>> = {
  eval: () => import('./commands/eval.js').then((module) => [module.default, module.checkEvalOptions]),
  optimize: () =>
    import('./commands/optimize.js').then((module) => [module.default, module.checkOptimizeOptions]),
  // a --like version's method and shape are read from the registry when it runs
  'soft train': async () => {
    const [soft, { checkTrainOptions }] = await Promise.all([
      import('./commands/soft.js'),
      import('./soft-train-args.js'),
    ]);
    return [
      subCommand(soft.default, 'train'),
      (args: Parameters<typeof checkTrainOptions>[0], rawArgs: string[]) =>
        checkTrainOptions(args, rawArgs, args.like === undefined),
    ];
  },
  'soft train-multitask': () =>
    import('./commands/soft-multitask.js').then((module) => [module.default, module.checkMultitaskOptions]),
  'compare-methods': () =>
    import('./commands/compare-methods.js').then((module) => [
      module.default,
      module.checkCompareMethodsOptions,
    ]),
  'audit bias': audit('bias', (module) => module.checkBiasOptions),
  'audit sensitivity': audit('sensitivity', (module) => module.checkSensitivityOptions),
  'audit variability': audit('variability', (module) => module.checkVariabilityOptions),
  'audit explain': audit('explain', (module) => module.checkExplainOptions),
  loop: () => import('./commands/loop.js').then((module) => [module.default, module.checkLoopOptions]),
};

/**
 * Refuses a job's command line (the arguments after `--`) as its command would at its start, with the
 * command's own error code and hint, its message saying it is the job's command line. A command line
 * that names no job command is left to `job submit`'s own refusal.
 */
export async function checkJobOptions(jobArgs: string[]): Promise<void> {
  const words = Object.keys(jobOptionChecks)
    .map((key) => key.split(' '))
    .find((named) => named.every((word, index) => jobArgs[index] === word));
  if (!words) return;
  const [command, check] = await jobOptionChecks[words.join(' ')]();
  const rawArgs = jobArgs.slice(words.length);
  try {
    // citty refuses a required positional left out (loop's policy file) as it parses
    check(parseArgs(rawArgs, await declaredArgs(command)), rawArgs);
  } catch (error) {
    if (error instanceof Error && error.name === 'CLIError')
      throw new ValidationError(`the job's command line: ${error.message}`, {
        code: 'CLI_USAGE',
        hint: `See promptune ${words.join(' ')} --help. Nothing was queued.`,
      });
    if (!ValidationError.isInstance(error)) throw error;
    throw new ValidationError(`the job's command line: ${error.message}`, {
      code: error.code,
      hint: `${error.hint ?? ''} Nothing was queued.`.trim(),
    });
  }
}

/** A command's declared options (citty's args may be a function or a promise of them). */
async function declaredArgs(command: CheckedCommand[0]): Promise<ArgsDef> {
  return ((typeof command.args === 'function' ? await command.args() : await command.args) ?? {}) as ArgsDef;
}
