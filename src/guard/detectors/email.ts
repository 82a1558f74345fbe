// Email addresses: an RFC 5322-ish dot-atom local part (the characters people actually use, Unicode
// letters included, as RFC 6531 allows), `@`, and a domain of DNS labels (Unicode or punycode) ending
// in an alphabetic top-level domain. It does not accept quoted local parts or IP-literal domains, and a
// sentence's final dot is left out.
import { onNormalizedText } from './_normalize.js';
import { scan, spanOf } from './_scan.js';

// letters, marks and digits of any script; the view is NFKC, so full-width forms are ASCII already
const atom = '[\\p{L}\\p{M}\\p{Nd}_%+-]+';
const localPart = `${atom}(?:\\.${atom})*`;
const label = '[\\p{L}\\p{Nd}](?:[\\p{L}\\p{M}\\p{Nd}-]{0,61}[\\p{L}\\p{M}\\p{Nd}])?';
const topLevel = '(?:\\p{L}[\\p{L}\\p{M}]{1,62}|xn--[A-Za-z0-9-]{1,59})';
const emailPattern = new RegExp(
  `(?<![\\p{L}\\p{M}\\p{Nd}._%+-])${localPart}@(?:${label}\\.)+${topLevel}(?![\\p{L}\\p{M}\\p{Nd}_-])`,
  'gu',
);

/** Email addresses, such as `jane.doe+news@example.com`. */
export const detectEmails = onNormalizedText((text) => {
  if (!text.includes('@')) return [];
  return scan(emailPattern, text, (match) => spanOf(match, 'email'));
});
