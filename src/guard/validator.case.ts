// The Validator conformance suite: every validator (built-in or custom) must pass it unchanged, given
// texts it passes and texts it fails. A verdict is pass with no issues or fail with reasons; places lie
// inside the text; the same text gets the same verdict; a repair (fix, filter) either passes the
// validator or is not offered; and a validator that claims prefix failures fails every longer text.
import { describe, expect, it } from 'vitest';
import type { CheckContext, CheckResult, Validator } from './validator.js';

/** A validator with texts it must pass and texts it must fail. */
export interface ValidatorCase {
  validator: Validator;
  passes: string[];
  fails: string[];
  context?: CheckContext;
}

/** Runs the suite for each case. */
export function validatorConformance(
  cases: Record<string, () => Promise<ValidatorCase> | ValidatorCase>,
): void {
  describe.each(Object.keys(cases))('validator conformance: %s', (name) => {
    const load = async () => await cases[name]();
    const check = async (subject: ValidatorCase, text: string): Promise<CheckResult> =>
      await subject.validator.check(text, subject.context ?? {});

    it('has a name and a kind', async () => {
      const { validator } = await load();
      expect(validator.name).toMatch(/\S/);
      expect(validator.kind).toMatch(/^[a-z-]+$/);
    });

    it('passes its passing texts with no issues, the same way every time', async () => {
      const subject = await load();
      for (const text of subject.passes) {
        expect(await check(subject, text), text).toMatchObject({ passed: true, issues: [] });
        expect(await check(subject, text)).toEqual(await check(subject, text));
      }
    });

    it('fails its failing texts with reasons, at places inside the text', async () => {
      const subject = await load();
      for (const text of subject.fails) {
        const result = await check(subject, text);
        expect(result.passed, text).toBe(false);
        expect(result.issues.length).toBeGreaterThan(0);
        for (const issue of result.issues) {
          expect(issue.reason).toMatch(/\S/);
          if (issue.start !== undefined || issue.end !== undefined) {
            expect(0 <= issue.start! && issue.start! <= issue.end! && issue.end! <= text.length).toBe(true);
          }
        }
      }
    });

    it('offers repairs that pass, or none', async () => {
      const subject = await load();
      const { validator } = subject;
      for (const text of subject.fails) {
        const result = await check(subject, text);
        for (const repair of [validator.fix, validator.filter]) {
          const repaired = repair?.call(validator, text, result);
          // the runner keeps a repair only when it passes: a repair that cannot pass is not offered
          if (repaired !== undefined && repaired !== text)
            expect((await check(subject, repaired)).passed, `${text} -> ${repaired}`).toBe(true);
        }
      }
    });

    it('fails every longer text when it claims prefix failures', async () => {
      const subject = await load();
      if (!subject.validator.prefixFailures) return;
      for (const text of subject.fails) {
        for (const tail of [' and more', '\nmore text 12345', '!']) {
          expect((await check(subject, text + tail)).passed, text + tail).toBe(false);
        }
      }
    });
  });
}
