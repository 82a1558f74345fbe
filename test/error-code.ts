// The code of the error a promise rejects with, for tests that expect a coded refusal: undefined when
// it resolves, and a description of anything that is not a PromptuneError.
import { PromptuneError } from '../src/errors/index.js';

export async function errorCode(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  return PromptuneError.isInstance(error) ? error.code : `not a PromptuneError: ${String(error)}`;
}
