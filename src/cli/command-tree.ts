// The command line's tree (one file per command, imported when it runs) and the checks of a command
// line before anything runs: a mistyped subcommand, an option the command does not declare, a flag
// written both ways. main.ts runs what they pass; `job submit` checks a job's command line with them, so a
// typo is refused at submission instead of failing on a worker.
import { defineCommand, type CommandDef } from 'citty';
import { findContradictedOption, findMissingRequired, findUnknownOption } from './check-options.js';
import { nearestName } from '../errors/index.js';

/** A subcommand imported when it runs, so a command loads its own dependencies and not every other's. */
const loadCommand = (module: Promise<{ default: object }>) =>
  module.then((loaded) => loaded.default as CommandDef);

/** The whole command line: each command's file is imported when it runs. */
export const main = defineCommand({
  meta: { name: 'promptune', version: '0.1.0', description: 'Prompt tuning for frozen language models' },
  subCommands: {
    generate: () => loadCommand(import('./commands/generate.js')),
    model: () => loadCommand(import('./commands/model.js')),
    eval: () => loadCommand(import('./commands/eval.js')),
    dataset: () => loadCommand(import('./commands/dataset.js')),
    compare: () => loadCommand(import('./commands/compare.js')),
    'compare-methods': () => loadCommand(import('./commands/compare-methods.js')),
    registry: () => loadCommand(import('./commands/registry.js')),
    soft: () => loadCommand(import('./commands/soft.js')),
    optimize: () => loadCommand(import('./commands/optimize.js')),
    serve: () => loadCommand(import('./commands/serve.js')),
    ui: () => loadCommand(import('./commands/ui.js')),
    keys: () => loadCommand(import('./commands/keys.js')),
    traces: () => loadCommand(import('./commands/traces.js')),
    runs: () => loadCommand(import('./commands/runs.js')),
    monitor: () => loadCommand(import('./commands/monitor.js')),
    alerts: () => loadCommand(import('./commands/alerts.js')),
    drift: () => loadCommand(import('./commands/drift.js')),
    scores: () => loadCommand(import('./commands/scores.js')),
    review: () => loadCommand(import('./commands/review.js')),
    audit: () => loadCommand(import('./commands/audit.js')),
    experiment: () => loadCommand(import('./commands/experiment.js')),
    job: () => loadCommand(import('./commands/job.js')),
    worker: () => loadCommand(import('./commands/worker.js')),
    loop: () => loadCommand(import('./commands/loop.js')),
  },
});

/** A command's subcommands by name (none: an empty table). */
export async function subCommandsOf(command: CommandDef): Promise<Record<string, unknown>> {
  return ((typeof command.subCommands === 'function'
    ? await command.subCommands()
    : await command.subCommands) ?? {}) as Record<string, unknown>;
}

/**
 * The command a list of arguments names, with its parent (for help output, named by its whole path:
 * `promptune soft`, so a nested command's usage reads `promptune soft train`), and the word after it
 * that names none of its subcommands (`audit foo`), when it has subcommands.
 */
export async function resolveCommand(
  rawArgs: string[],
): Promise<[CommandDef, CommandDef | undefined, string | undefined]> {
  let command = main as CommandDef;
  let parent: CommandDef | undefined;
  const path = ['promptune'];
  for (const arg of rawArgs) {
    if (arg.startsWith('-')) break;
    const subCommands = await subCommandsOf(command);
    const next = subCommands[arg];
    if (!next) return [command, parent, Object.keys(subCommands).length ? arg : undefined];
    parent =
      path.length === 1
        ? command
        : { ...command, meta: { ...(await metaOf(command)), name: path.join(' ') } };
    path.push(arg);
    command = (typeof next === 'function' ? await next() : await next) as CommandDef;
  }
  return [command, parent, undefined];
}

async function metaOf(command: CommandDef) {
  const meta = typeof command.meta === 'function' ? await command.meta() : await command.meta;
  return meta ?? {};
}

/** What is wrong with a command line before it runs, as a message and the start of a hint. */
export interface CommandLineProblem {
  message: string;
  hint: string;
  /** What the usage shown with it helps with: the commands, the options, or nothing more to say. */
  see?: 'usage' | 'options';
  /** The command line whose usage is shown (a job's own, after `--`); absent, the one typed. */
  usageOf?: string[];
}

/**
 * The first problem of `rawArgs` (a subcommand, an option, a flag both ways), if any; for `job submit`
 * and `job run`, of the job's own command line after `--` too, which would otherwise fail on a worker.
 */
export async function commandLineProblem(rawArgs: string[]): Promise<CommandLineProblem | undefined> {
  const own = await ownProblem(rawArgs);
  const dashes = rawArgs.indexOf('--');
  const jobLine = rawArgs[0] === 'job' && ['submit', 'run'].includes(rawArgs[1]);
  // `job submit eval --task …`: the job's command was written without the -- that sets it apart
  if (own && jobLine && dashes < 0) return undashedJob(own, rawArgs);
  if (own || !jobLine || dashes < 0) return own;
  const job = rawArgs.slice(dashes + 1);
  const known = job[0] && (await subCommandsOf(main as CommandDef))[job[0]];
  // a required option is checked for the commands a job may run (the rest are refused as such after)
  const runnable = known && (await isJobCommand(job));
  const problem = known
    ? ((await ownProblem(job)) ?? (runnable ? await missingRequired(job) : undefined))
    : undefined;
  if (!problem) return undefined;
  // the command's own words (a mistyped subcommand, the last of them, left out)
  const words = job.slice(0, job.findIndex((arg) => arg.startsWith('-')) >>> 0);
  if (problem.message.startsWith('Unknown command')) words.pop();
  return {
    message: `the job's command line: ${problem.message}`,
    // the usage shown is the job's command's (its parent's, for a mistyped subcommand), not job submit's
    hint: problem.hint,
    see: problem.see ?? 'options',
    usageOf: words,
  };
}

/** A job's command written without the -- that sets it apart: where to put it, when a job command is there. */
async function undashedJob(own: CommandLineProblem, rawArgs: string[]): Promise<CommandLineProblem> {
  // loaded on this path only: the jobs layer (BullMQ) costs every other command line 0.4 s at start
  const { jobCommands } = await import('../jobs/index.js');
  const at = rawArgs.findIndex(
    (arg, index) => index >= 2 && jobCommands.some((command) => command.split(' ')[0] === arg),
  );
  if (at < 0) return own;
  const written = [...rawArgs.slice(0, at), '--', ...rawArgs.slice(at)].join(' ');
  return { ...own, hint: `Put the job's command after --: promptune ${written}. `, see: 'usage' };
}

/** Whether a job may run `args` (job submit refuses the rest with JOB_BAD_COMMAND). */
async function isJobCommand(args: string[]): Promise<boolean> {
  // loaded here: the jobs layer (BullMQ) costs every other command line 0.4 s at start
  const { jobKind } = await import('../jobs/index.js');
  try {
    jobKind(args);
    return true;
  } catch {
    return false;
  }
}

/** A required option the job's command line lacks: said at submission, not on a worker after queueing. */
async function missingRequired(rawArgs: string[]): Promise<CommandLineProblem | undefined> {
  const [command] = await resolveCommand(rawArgs);
  const missing = await findMissingRequired(command, rawArgs);
  return missing ? { message: `missing required option --${missing}`, hint: '', see: 'options' } : undefined;
}

async function ownProblem(rawArgs: string[]): Promise<CommandLineProblem | undefined> {
  const [command, , stray] = await resolveCommand(rawArgs);
  // a mistyped subcommand first: its options would otherwise be reported as the parent's unknown ones
  if (stray) {
    const nearest = nearestName(stray, Object.keys(await subCommandsOf(command)));
    return {
      message: `Unknown command ${stray}`,
      hint: nearest ? `Did you mean ${nearest}? ` : '',
      see: 'usage',
    };
  }
  const unknown = await findUnknownOption(command, rawArgs);
  if (unknown)
    return {
      message: `unknown option ${unknown.option}`,
      hint: unknown.suggestion ? `Did you mean ${unknown.suggestion}? ` : '',
      see: 'options',
    };
  const contradicted = await findContradictedOption(command, rawArgs);
  if (contradicted)
    return {
      message: `--${contradicted} and --no-${contradicted} are both given`,
      hint: 'Give one of them: which was meant cannot be told.',
    };
  return undefined;
}
