// Telephone numbers: international numbers written with `+` (E.164, 8-15 digits, with spaces, dashes,
// dots or parentheses) and the national formats of the US/Canada, the UK and France when written with
// separators. Bare digit runs (order numbers), dates, times, decimals and versions do not fire; nor do
// other countries' national formats, which overlap too much with ordinary numbers without a `+`.
import { onNormalizedText } from './_normalize.js';
import { scan, spanOf } from './_scan.js';

// a number may not start inside a word, an email, a path or a longer digit sequence
const before = '(?<![\\w+@/#]|\\w[-.]|\\d[ ,/])';
// nor run on into one
const after = '(?![\\w@]|[-.,/]\\w| \\d)';

const international = '(?<international>\\+[1-9](?:[ .-]?(?:\\d|\\(\\d{1,4}\\))){6,18})';
// NANP: area code and exchange start with 2-9; unparenthesized groups share one separator
const northAmericanParenthesized =
  '(?<nanpParenthesized>(?:1[ .-]?)?\\([2-9]\\d{2}\\) ?[2-9]\\d{2}[ .-]\\d{4})';
const northAmerican =
  '(?<nanp>(?:1[ .-])?[2-9]\\d{2}(?<nanpSeparator>[ .-])[2-9]\\d{2}\\k<nanpSeparator>\\d{4})';
// UK: trunk 0, then 10 digits in space-separated groups (020 7946 0958, 0161 496 0000, 01632 960000)
const british = '(?<uk>\\(?0[1-9]\\d{1,3}\\)?(?: \\d{3,6}){1,2})';
// France: 0 + 9 digits in pairs, one separator throughout (06 12 34 56 78, 01.23.45.67.89)
const french = '(?<fr>0[1-9](?<frSeparator>[ .-])\\d{2}(?:\\k<frSeparator>\\d{2}){3})';

const phonePattern = new RegExp(
  `${before}(?:${international}|${northAmericanParenthesized}|${northAmerican}|${british}|${french})${after}`,
  'g',
);

/** The digits that count toward an international number's length: a `(0)` trunk prefix does not. */
function internationalDigits(number: string): number {
  return number.replace(/\(0\)/g, '').replace(/\D+/g, '').length;
}

/** Telephone numbers, such as `+44 20 7946 0958`, `(415) 555-0132` or `06 12 34 56 78`. */
export const detectPhones = onNormalizedText((text) =>
  scan(phonePattern, text, (match) => {
    const groups = match.groups ?? {};
    if (groups.international !== undefined) {
      const count = internationalDigits(groups.international);
      // dots only as the grouping of a whole number (+33.1.23.45.67.89), never one or two: "+48.858844"
      // is a coordinate or a change, not a number to call
      const dots = groups.international.split('.').length - 1;
      const plausible = count >= 8 && count <= 15 && (dots === 0 || dots >= 3);
      return plausible ? spanOf(match, 'phone', 'international') : undefined;
    }
    if (groups.uk !== undefined) {
      const parenthesesBalanced = groups.uk.startsWith('(') === /\d\)/.test(groups.uk);
      const count = groups.uk.replace(/\D+/g, '').length;
      return parenthesesBalanced && count === 11 ? spanOf(match, 'phone', 'uk') : undefined;
    }
    if (groups.fr !== undefined) return spanOf(match, 'phone', 'fr');
    return spanOf(match, 'phone', 'nanp');
  }),
);
