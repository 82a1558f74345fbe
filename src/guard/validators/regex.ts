// A regular expression the whole output must match (`match`), or that no part of it may match
// (`forbid`, which reports where each match is and can filter them out). The pattern is the spec
// author's and the text is not, so it runs time-limited (`boundedRegex`), in a worker the check awaits
// without blocking: a match that backtracks past the limit fails the check (the text was not shown to
// pass) instead of holding the process, and other requests go on meanwhile.
import { boundedRegex, isRegexTimeLimit, type BoundedRegex } from '../../tasks/index.js';
import type { CheckResult, Validator } from '../validator.js';

/** Output must (or must not) match `pattern`. */
export function regexValidator(
  name: string,
  pattern: string,
  flags: string,
  mode: 'match' | 'forbid',
  options: { limitMs?: number } = {},
): Validator {
  const bounded = (source: string) =>
    boundedRegex(source, flags, { code: 'GUARD_OPTIONS', label: name, limitMs: options.limitMs });
  // the pattern as written first, so an error quotes it
  const anywhere = bounded(pattern);
  const whole = bounded(`^(?:${pattern})$`);
  /** The check's verdict, or a failure saying the pattern ran out of time on this text. */
  const timed = async (run: () => Promise<CheckResult>): Promise<CheckResult> => {
    try {
      return await run();
    } catch (error) {
      if (!isRegexTimeLimit(error)) throw error;
      return { passed: false, issues: [{ reason: `${error.message}: not shown to pass (${error.hint})` }] };
    }
  };
  if (mode === 'match')
    return {
      name,
      kind: 'regex',
      prefixFailures: false,
      check: (text) =>
        timed(async () =>
          (await whole.testLater(text.trim()))
            ? { passed: true, issues: [] }
            : { passed: false, issues: [{ reason: `does not match /${pattern}/${flags}` }] },
        ),
    };
  return {
    name,
    kind: 'regex',
    prefixFailures: true,
    check: (text) => timed(() => forbidden(anywhere, text)),
    // the matches the check found, cut out (none known when it ran out of time: nothing to drop)
    filter(text, result) {
      const spans = result.issues.filter((issue) => issue.start !== undefined && issue.end !== undefined);
      if (spans.length === 0) return undefined;
      let kept = '';
      let from = 0;
      for (const { start, end } of spans) {
        kept += text.slice(from, start);
        from = end!;
      }
      return kept + text.slice(from);
    },
  };
}

async function forbidden(pattern: BoundedRegex, text: string): Promise<CheckResult> {
  const issues = (await pattern.matchesLater(text))
    .filter((match) => match.text.length > 0)
    .map((match) => ({
      reason: `contains "${match.text.slice(0, 80)}" (forbidden by /${pattern.source}/${pattern.flags})`,
      start: match.index,
      end: match.index + match.text.length,
    }));
  return { passed: issues.length === 0, issues };
}
