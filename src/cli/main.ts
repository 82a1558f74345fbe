// The promptune command line: routes to one file per command and is the only place that exits.
// Errors print their message, hint and code on stderr, never a stack trace; the exit status says which
// kind of failure it was (report-error.ts). Unexpected errors (bugs) leave a crash report to send in.
import { renderUsage, runCommand, type CommandDef } from 'citty';
import { commandLineProblem, main, resolveCommand, subCommandsOf } from './command-tree.js';
import { InterruptedError, nearestName } from '../errors/index.js';
import { asksForJson, exitStatus, reportError, writeFailure } from './report-error.js';
import { releaseOutputLocks } from './output-lock.js';
import { stoppingSignal } from './stop-signals.js';

async function run(rawArgs: string[]): Promise<number> {
  if (rawArgs.length === 0 || rawArgs.includes('--help') || rawArgs.includes('-h')) {
    const [command, parent] = await resolveCommand(rawArgs);
    await printUsage(command, parent);
    return 0;
  }
  if (rawArgs.length === 1 && (rawArgs[0] === '--version' || rawArgs[0] === '-v')) {
    process.stdout.write('0.1.0\n');
    return 0;
  }
  const [command, parent] = await resolveCommand(rawArgs);
  const json = asksForJson(rawArgs);
  const problem = await commandLineProblem(rawArgs);
  if (problem) {
    const see = {
      options: json ? 'See --help for the options.' : 'See the options above.',
      usage: json ? 'See --help for the usage.' : 'See the usage above, or promptune --help.',
    };
    const hint = `${problem.hint}${problem.see ? see[problem.see] : ''}`;
    // a job's command line is shown its own command's usage (job submit's says nothing of it)
    const [shown, shownParent] = problem.usageOf ? await resolveCommand(problem.usageOf) : [command, parent];
    return usageError(shown, shownParent, problem.message, hint, json);
  }
  try {
    await runCommand(main, { rawArgs });
    return exitStatus.success;
  } catch (error) {
    // citty's usage errors (unknown command, missing required option); a mistyped command is told the
    // nearest one
    if (error instanceof Error && error.name === 'CLIError') {
      const unknown = /^Unknown command (\S+)/.exec(error.message)?.[1];
      const nearest = unknown && nearestName(unknown, Object.keys(await subCommandsOf(command)));
      return usageError(
        command,
        parent,
        error.message,
        `${nearest ? `Did you mean ${nearest}? ` : ''}${json ? 'See --help for the usage.' : 'See the usage above, or promptune --help.'}`,
        json,
      );
    }
    const status = reportError(error, rawArgs);
    // work a signal stopped (and saved) ends by that signal, as if it had not been caught
    const signal = stoppingSignal();
    if (signal && InterruptedError.isInstance(error)) {
      releaseOutputLocks(); // an end by a signal fires no 'exit': the --out claims go now
      process.removeAllListeners(signal); // Node's default then ends the process, before kill returns
      process.kill(process.pid, signal);
    }
    return status;
  }
}

/** A command's usage on stdout, as citty renders it less the spaces it pads each line's end with. */
async function printUsage(command: CommandDef, parent: CommandDef | undefined): Promise<void> {
  const usage = await renderUsage(command, parent);
  process.stdout.write(usage.replace(/[ \t]+$/gm, '') + '\n\n');
}

/** The command's usage, then the error as every error is printed (message, hint, code); with --json, the error alone. */
async function usageError(
  command: CommandDef,
  parent: CommandDef | undefined,
  message: string,
  hint: string,
  json: boolean,
): Promise<number> {
  // a script that asked for JSON gets the error alone, as JSON; a person gets the usage above it
  if (!json) await printUsage(command, parent);
  // eslint-disable-next-line no-control-regex -- citty colours option names; a log file gets none
  const plain = process.stderr.isTTY && !json ? message : message.replace(/\u001b\[[0-9;]*m/g, '');
  writeFailure(
    { write: (text) => process.stderr.write(text), json },
    { message: plain, hint, code: 'CLI_USAGE' },
  );
  return exitStatus.usage;
}

// a reader that stops early (`promptune ... | head`, also on stderr) closes the pipe: stop quietly, as
// other tools do
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(0);
  });

// a job's command ends with the worker that runs it, and a loop's step with its loop: a worker killed
// mid-job must leave no command running on (the job's next attempt would run beside it); its IPC
// channel closes when it dies
if ((process.env.PROMPTUNE_JOB || process.env.PROMPTUNE_LOOP) && process.channel) {
  process.channel.unref();
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}

// errors thrown outside a command's promise (a server's handlers, timers) are reported the same way
process.on('uncaughtException', (error) => process.exit(reportError(error, process.argv.slice(2))));

const status = await run(process.argv.slice(2));
// a failed command exits at once: a worker thread or open handle it started must not keep it alive
if (status === exitStatus.success) process.exitCode = status;
else process.exit(status);
