// How the command line reports a failure: message, hint and code on stderr, never a stack trace, and
// an exit status by kind. A failure of the machine around it (a missing folder, a port in use) is the
// user's to fix; any other error without a code is a bug: its stack goes to a crash report file that
// the hint asks the user to send. It does not exit: main.ts does, with the status returned.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { environmentError, PromptuneError, QualityGateError, upstreamError } from '../errors/index.js';

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
  /** One JSON object, `{"error": {"code", "message", "hint"}}`, instead of lines (the command's --json). */
  json?: boolean;
}

/** Whether the arguments ask for JSON output (`--json` before any `--`): errors are then JSON too. */
export function asksForJson(rawArgs: string[]): boolean {
  const end = rawArgs.indexOf('--');
  return (end === -1 ? rawArgs : rawArgs.slice(0, end)).some(
    (arg) => arg === '--json' || arg === '--json=true',
  );
}

/** A failure as the target prints it: `error:`, `hint:` and `code:` lines, or one JSON object. */
export function writeFailure(
  target: Pick<ReportTarget, 'write' | 'json'>,
  failure: { message: string; hint?: string; code: string; stack?: string },
): void {
  if (target.json) {
    target.write(JSON.stringify({ error: failure }) + '\n');
    return;
  }
  target.write(`error: ${failure.message}\n`);
  if (failure.hint) target.write(`hint: ${failure.hint}\n`);
  target.write(`code: ${failure.code}\n`);
  if (failure.stack) target.write(`${failure.stack}\n`);
}

/** Prints `error` for a person and returns the exit status for its kind. */
export function reportError(
  error: unknown,
  rawArgs: string[],
  target: ReportTarget = {
    write: (text) => process.stderr.write(text),
    debug: process.env.PROMPTUNE_DEBUG === '1',
    json: asksForJson(rawArgs),
  },
): number {
  if (PromptuneError.isInstance(error)) {
    writeFailure(target, { message: error.message, hint: error.hint, code: error.code });
    return QualityGateError.isInstance(error) ? exitStatus.belowMinimumScore : exitStatus.error;
  }
  // a model's API that failed, refused or answered unreadably (the AI SDK's errors, or one they caused)
  const upstream =
    upstreamError(error, 'command') ??
    (error instanceof Error ? upstreamError(error.cause, 'command') : undefined);
  if (upstream) {
    writeFailure(target, { message: upstream.message, hint: upstream.hint, code: upstream.code });
    return exitStatus.error;
  }
  const environment = environmentError(error);
  if (environment) {
    writeFailure(target, { message: environment.message, hint: environment.hint, code: environment.code });
    return exitStatus.error;
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
  writeFailure(target, {
    message: `unexpected failure: ${message}`,
    hint: `this is a bug in promptune, not in your input. Please report it on the project's issue tracker${
      written ? ` and attach ${report} (the command and the stack trace)` : ''
    }; PROMPTUNE_DEBUG=1 prints the stack here.`,
    code: 'INTERNAL',
    ...(target.debug && { stack }),
  });
  return exitStatus.internal;
}
