// Output length bounds in characters (code points) and in tokens of the model's tokenizer. `fix`
// cuts an over-long output at the bound (at a word boundary in its second half, if any); too short cannot be fixed.
import { ValidationError } from '../../errors/index.js';
import type { CheckIssue, Validator } from '../validator.js';

/** Bounds of a length validator; any may be left out. */
export interface LengthBounds {
  minCharacters?: number;
  maxCharacters?: number;
  minTokens?: number;
  maxTokens?: number;
}

/** Whether `bounds` sets any bound (a spec entry passed whole also has its validator, name and policy). */
export function hasLengthBound(bounds: LengthBounds): boolean {
  const { minCharacters, maxCharacters, minTokens, maxTokens } = bounds;
  return [minCharacters, maxCharacters, minTokens, maxTokens].some((bound) => bound !== undefined);
}

/** Output length must be within `bounds`. */
export function lengthValidator(name: string, bounds: LengthBounds): Validator {
  if (!hasLengthBound(bounds))
    throw new ValidationError(`${name}: a length validator needs a bound`, {
      code: 'GUARD_OPTIONS',
      hint: 'Set minCharacters, maxCharacters, minTokens or maxTokens.',
    });
  for (const unit of ['Characters', 'Tokens'] as const) {
    const [minimum, maximum] = [bounds[`min${unit}`], bounds[`max${unit}`]];
    if (minimum !== undefined && maximum !== undefined && minimum > maximum)
      throw new ValidationError(
        `${name}: min${unit} ${minimum} is above max${unit} ${maximum}: nothing could pass`,
        {
          code: 'GUARD_OPTIONS',
          hint: `Set min${unit} <= max${unit}.`,
        },
      );
  }
  return {
    name,
    kind: 'length',
    prefixFailures: false,
    check(text, context) {
      const issues: CheckIssue[] = [];
      const characters = [...text].length;
      if (bounds.minCharacters !== undefined && characters < bounds.minCharacters)
        issues.push({ reason: `has ${characters} characters, fewer than ${bounds.minCharacters}` });
      if (bounds.maxCharacters !== undefined && characters > bounds.maxCharacters)
        issues.push({
          reason: `has ${characters} characters, more than ${bounds.maxCharacters}`,
          start: [...text].slice(0, bounds.maxCharacters).join('').length,
          end: text.length,
        });
      // every token is at least a byte: a text of no more bytes than the bound needs no counting
      const short = bounds.minTokens === undefined && Buffer.byteLength(text) <= bounds.maxTokens!;
      if ((bounds.minTokens !== undefined || bounds.maxTokens !== undefined) && !short) {
        const tokens =
          context.knownTokens?.text === text ? context.knownTokens.tokens : context.countTokens?.(text);
        if (tokens === undefined) {
          // an answer an earlier validator repaired, with no tokenizer to count it: not known to pass
          if (context.knownTokens)
            issues.push({
              reason: 'cannot count the tokens of a repaired answer without the model tokenizer',
            });
          else
            throw new ValidationError(`${name}: counting tokens needs the model's tokenizer`, {
              code: 'GUARD_NO_TOKENIZER',
              hint: 'Bound the length in characters for models without a local tokenizer.',
            });
          return { passed: false, issues };
        }
        if (bounds.minTokens !== undefined && tokens < bounds.minTokens)
          issues.push({ reason: `has ${tokens} tokens, fewer than ${bounds.minTokens}` });
        if (bounds.maxTokens !== undefined && tokens > bounds.maxTokens)
          issues.push({ reason: `has ${tokens} tokens, more than ${bounds.maxTokens}` });
      }
      return { passed: issues.length === 0, issues };
    },
    // the runner checks the cut text again, so a text that also fails another bound keeps failing
    fix(text) {
      if (bounds.maxCharacters === undefined) return undefined;
      const cut = [...text].slice(0, bounds.maxCharacters).join('');
      const space = cut.search(/\s\S*$/);
      return space > cut.length / 2 ? cut.slice(0, space) : cut;
    },
  };
}
