// The promptune command line: routes to one file per command and is the only place that exits.
// Errors print their message, hint and code on stderr, never a stack trace; the exit status says which
// kind of failure it was (report-error.ts). Unexpected errors (bugs) leave a crash report to send in.
import { defineCommand, runCommand, showUsage, type CommandDef } from 'citty';
import { exitStatus, reportError } from './report-error.js';
import compare from './commands/compare.js';
import dataset from './commands/dataset.js';
import evaluateCommand from './commands/eval.js';
import generate from './commands/generate.js';
import model from './commands/model.js';
import optimize from './commands/optimize.js';
import keys from './commands/keys.js';
import registry from './commands/registry.js';
import serve from './commands/serve.js';
import soft from './commands/soft.js';

const main = defineCommand({
  meta: { name: 'promptune', version: '0.1.0', description: 'Prompt tuning for frozen language models' },
  subCommands: {
    generate,
    model,
    eval: evaluateCommand,
    dataset,
    compare,
    registry,
    soft,
    optimize,
    serve,
    keys,
  },
});

/** The command a list of arguments names, with its parent (for help output). */
async function resolve(rawArgs: string[]): Promise<[CommandDef, CommandDef | undefined]> {
  let command: CommandDef = main as CommandDef;
  let parent: CommandDef | undefined;
  for (const arg of rawArgs) {
    if (arg.startsWith('-')) break;
    const subCommands =
      typeof command.subCommands === 'function' ? await command.subCommands() : await command.subCommands;
    const next = subCommands?.[arg];
    if (!next) break;
    parent = command;
    command = (typeof next === 'function' ? await next() : await next) as CommandDef;
  }
  return [command, parent];
}

async function run(rawArgs: string[]): Promise<number> {
  if (rawArgs.length === 0 || rawArgs.includes('--help') || rawArgs.includes('-h')) {
    const [command, parent] = await resolve(rawArgs);
    await showUsage(command, parent);
    return 0;
  }
  if (rawArgs.length === 1 && (rawArgs[0] === '--version' || rawArgs[0] === '-v')) {
    process.stdout.write('0.1.0\n');
    return 0;
  }
  try {
    await runCommand(main, { rawArgs });
    return 0;
  } catch (error) {
    // citty's usage errors (unknown command, missing required option)
    if (error instanceof Error && error.name === 'CLIError') {
      const [command, parent] = await resolve(rawArgs);
      await showUsage(command, parent);
      process.stderr.write(`error: ${error.message}\n`);
      return exitStatus.usage;
    }
    return reportError(error, rawArgs);
  }
}

// a reader that stops early (`promptune ... | head`) closes the pipe: stop quietly, as other tools do
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

// errors thrown outside a command's promise (a server's handlers, timers) are reported the same way
process.on('uncaughtException', (error) => process.exit(reportError(error, process.argv.slice(2))));

process.exitCode = await run(process.argv.slice(2));
