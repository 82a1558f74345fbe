// How the command line reports a failure: message, hint and code on stderr, never a stack trace, and
// an exit status by kind. An error without a code is a bug: its stack goes to a crash report file
// that the hint asks the user to send. It does not exit: main.ts does, with the status returned.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PromptuneError, QualityGateError } from '../errors/index.js';

/** Exit statuses, documented in the README: scripts and CI tell a failed gate from a failure. */
export const exitStatus = {
  success: 0,
  /** An error with a code: bad input, a missing file, a refused action. */
  error: 1,
  /** The command line itself is wrong (unknown command, missing option). */
  usage: 2,
  /** The run worked, and its score is below --min-score. */
  belowMinimumScore: 3,
  /** A bug in promptune (an error without a code); a crash report is written. */
  internal: 70,
} as const;

/** Where reports go; tests pass their own. */
export interface ReportTarget {
  write(text: string): unknown;
  crashDirectory?: string;
  debug?: boolean;
}

/** Prints `error` for a person and returns the exit status for its kind. */
export function reportError(
  error: unknown,
  rawArgs: string[],
  target: ReportTarget = {
    write: (text) => process.stderr.write(text),
    debug: process.env.PROMPTUNE_DEBUG === '1',
  },
): number {
  if (PromptuneError.isInstance(error)) {
    target.write(`error: ${error.message}\n`);
    if (error.hint) target.write(`hint: ${error.hint}\n`);
    target.write(`code: ${error.code}\n`);
    return QualityGateError.isInstance(error) ? exitStatus.belowMinimumScore : exitStatus.error;
  }
  const message = error instanceof Error ? error.message : String(error);
  const stack = error instanceof Error ? (error.stack ?? message) : message;
  const report = join(
    target.crashDirectory ?? tmpdir(),
    `promptune-crash-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.log`,
  );
  let written = true;
  try {
    writeFileSync(
      report,
      [
        `promptune 0.1.0 on Node ${process.version} (${process.platform} ${process.arch})`,
        `command: promptune ${rawArgs.join(' ')}`,
        stack,
        '',
      ].join('\n'),
    );
  } catch {
    written = false;
  }
  target.write(`error: unexpected failure: ${message}\n`);
  target.write(
    `hint: this is a bug in promptune, not in your input. Please report it on the project's issue tracker${
      written ? ` and attach ${report} (the command and the stack trace)` : ''
    }; PROMPTUNE_DEBUG=1 prints the stack here.\n`,
  );
  target.write('code: INTERNAL\n');
  if (target.debug) target.write(`${stack}\n`);
  return exitStatus.internal;
}
