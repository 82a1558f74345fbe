// User validators: a JavaScript module (TypeScript under tsx) whose export takes the text and returns
// true/false, { passed, reason }, or a full CheckResult. In the library, any object implementing
// Validator can be passed instead; this is for validators named in a task spec.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ValidationError } from '../../errors/index.js';
import type { CheckContext, CheckResult, Validator } from '../validator.js';

type UserCheck = (
  text: string,
  context: CheckContext,
) => boolean | { passed: boolean; reason?: string } | Promise<boolean | { passed: boolean; reason?: string }>;

/** Loads the user's check function from `module` (relative to `baseDirectory`). */
export async function customValidator(
  name: string,
  module: string,
  exportName: string,
  baseDirectory: string,
): Promise<Validator> {
  const path = isAbsolute(module) ? module : resolve(baseDirectory, module);
  if (!existsSync(path))
    throw new ValidationError(`${name}: validator module ${path} does not exist`, {
      code: 'GUARD_OPTIONS',
      hint: 'Paths are relative to the task spec file.',
    });
  const fingerprint = createHash('sha256').update(readFileSync(path)).digest('hex');
  let loaded: Record<string, unknown>;
  try {
    // the content hash in the URL: a changed module is imported anew, not taken from Node's module cache
    loaded = (await import(`${pathToFileURL(path).href}?sha256=${fingerprint}`)) as Record<string, unknown>;
  } catch (error) {
    throw new ValidationError(
      `${name}: validator module ${path} could not be loaded: ${(error as Error).message}`,
      {
        code: 'GUARD_OPTIONS',
        hint: 'Give a JavaScript module (.js or .mjs) that Node can import; fix the error above in it.',
      },
    );
  }
  const user = loaded[exportName] as UserCheck | undefined;
  if (typeof user !== 'function')
    throw new ValidationError(`${name}: ${path} has no function export "${exportName}"`, {
      code: 'GUARD_OPTIONS',
      hint: 'Export a function (text) => boolean | { passed, reason }.',
    });
  return {
    name,
    kind: 'custom',
    fingerprint,
    prefixFailures: false,
    async check(text, context): Promise<CheckResult> {
      let verdict: Awaited<ReturnType<UserCheck>>;
      try {
        verdict = await user(text, context);
      } catch (error) {
        // one text it cannot judge is a check that did not pass, not the end of an eval of hundreds
        const message = error instanceof Error ? error.message : String(error);
        return {
          passed: false,
          issues: [{ reason: `the validator in ${path} threw: ${message} (not shown to pass)` }],
        };
      }
      if (typeof verdict === 'boolean')
        return verdict ? { passed: true, issues: [] } : { passed: false, issues: [{ reason: 'failed' }] };
      if (typeof verdict?.passed !== 'boolean')
        throw new ValidationError(`${name}: ${path} returned ${JSON.stringify(verdict)}`, {
          code: 'GUARD_RESULT',
          hint: 'Return true/false or { passed, reason }.',
        });
      return verdict.passed
        ? { passed: true, issues: [] }
        : { passed: false, issues: [{ reason: verdict.reason ?? 'failed' }] };
    },
  };
}
