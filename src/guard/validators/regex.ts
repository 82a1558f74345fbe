// A regular expression the whole output must match (`match`), or that no part of it may match
// (`forbid`, which reports where each match is and can filter them out).
import { ValidationError } from '../../errors/index.js';
import type { Validator } from '../validator.js';

/** Output must (or must not) match `pattern`. */
export function regexValidator(
  name: string,
  pattern: string,
  flags: string,
  mode: 'match' | 'forbid',
): Validator {
  let whole: RegExp;
  let anywhere: RegExp;
  try {
    anywhere = new RegExp(pattern, `${flags}g`); // first, so an error quotes the pattern as written
    whole = new RegExp(`^(?:${pattern})$`, flags);
  } catch (error) {
    throw new ValidationError(`${name}: /${pattern}/ is not a valid regular expression`, {
      code: 'GUARD_OPTIONS',
      hint: (error as Error).message,
    });
  }
  if (mode === 'match')
    return {
      name,
      kind: 'regex',
      prefixFailures: false,
      check(text) {
        return whole.test(text.trim())
          ? { passed: true, issues: [] }
          : { passed: false, issues: [{ reason: `does not match /${pattern}/${flags}` }] };
      },
    };
  return {
    name,
    kind: 'regex',
    prefixFailures: true,
    check(text) {
      const issues = [...text.matchAll(anywhere)]
        .filter((match) => match[0].length > 0)
        .map((match) => ({
          reason: `contains "${match[0].slice(0, 80)}" (forbidden by /${pattern}/${flags})`,
          start: match.index,
          end: match.index + match[0].length,
        }));
      return { passed: issues.length === 0, issues };
    },
    filter(text) {
      return text.replace(anywhere, '');
    },
  };
}
