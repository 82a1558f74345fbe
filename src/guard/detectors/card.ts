// Payment card numbers: 13-19 digits, optionally grouped by single spaces or dashes (one kind of
// separator, first group of four), that start with a known issuer prefix at a length that issuer uses
// and pass the Luhn checksum. It does not check expiry dates or CVCs, nor accept prefixes outside the
// table below (private-label and closed-loop cards).
import { passesLuhn } from './_checksums.js';
import { onNormalizedText } from './_normalize.js';
import { digitsOf, scan, spanOf } from './_scan.js';

// issuer, leading-digit ranges (inclusive, compared on as many digits as the bounds have), lengths;
// more specific ranges first: Discover's 622126-622925 sits inside UnionPay's 62
const issuerTable = [
  ['visa', '4', '13 16 19'],
  ['mastercard', '51-55 2221-2720', '16'],
  ['amex', '34 37', '15'],
  ['discover', '6011 644-649 65 622126-622925', '16-19'],
  ['diners', '300-305 36 38-39', '14-19'],
  ['jcb', '3528-3589', '16-19'],
  ['unionpay', '62', '16-19'],
  ['maestro', '5018 5020 5038 5893 6304 6759 6761-6763', '13-19'],
  ['mir', '2200-2204', '16-19'],
];

/** `"a-b c"` as the inclusive ranges [[a, b], [c, c]]. */
function ranges(list: string): Array<[low: number, high: number]> {
  return list.split(' ').map((range) => {
    const [low, high = low] = range.split('-');
    return [Number(low), Number(high)];
  });
}

const issuers = issuerTable.map(([name, prefixes, lengths]) => ({
  name,
  prefixes: ranges(prefixes),
  lengths: ranges(lengths),
}));

/** The issuer whose prefix and length fit `digits`, if any. */
function issuerOf(digits: string): string | undefined {
  for (const issuer of issuers) {
    if (!issuer.lengths.some(([low, high]) => digits.length >= low && digits.length <= high)) continue;
    for (const [low, high] of issuer.prefixes) {
      const leading = Number(digits.slice(0, String(low).length));
      if (leading >= low && leading <= high) return issuer.name;
    }
  }
  return undefined;
}

/** True when the number is one run of digits, or groups (first of four) split by one kind of separator. */
function groupedLikeACard(number: string): boolean {
  const separators = number.match(/[ -]/g);
  if (!separators) return true;
  if (separators.some((separator) => separator !== separators[0])) return false;
  const groups = number.split(separators[0]);
  return groups[0].length === 4 && groups.every((group) => group.length <= 6);
}

// not inside a word or a longer number (a dotted or comma-grouped one included)
const cardPattern = /(?<![\w.,+-]|\d[ ])\d(?:[ -]?\d){12,18}(?![\w]|[ .,-]\d)/g;

/** Payment card numbers, such as `4242 4242 4242 4242`; `detail` is the issuer (`visa`, `amex`, ...). */
export const detectCards = onNormalizedText((text) =>
  scan(cardPattern, text, (match) => {
    if (!groupedLikeACard(match[0])) return undefined;
    const digits = digitsOf(match[0]);
    const issuer = issuerOf(digits);
    return issuer !== undefined && passesLuhn(digits) ? spanOf(match, 'card', issuer) : undefined;
  }),
);
