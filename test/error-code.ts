// The code of the error a promise rejects with, for tests that expect a coded refusal (undefined when
// it resolves, a description of anything that is not a PromptuneError), and the error a CLI run with
// --json printed.
import { PromptuneError } from '../src/errors/index.js';

export async function errorCode(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  return PromptuneError.isInstance(error) ? error.code : `not a PromptuneError: ${String(error)}`;
}

/** The error a command run with --json reported: the JSON object on its stderr's last line. */
export function jsonError(stderr: string): { code: string; message: string; hint?: string } {
  const last = stderr.trim().split('\n').at(-1) ?? '';
  return (JSON.parse(last) as { error: { code: string; message: string; hint?: string } }).error;
}
