// Email addresses: an RFC 5322-ish dot-atom local part (the characters people actually use), `@`,
// and a domain of DNS labels ending in an alphabetic or punycode top-level domain. It does not accept
// quoted local parts, IP-literal domains or raw Unicode domains, and a sentence's final dot is left out.
import { scan, spanOf, type Detector } from './_scan.js';

const localPart = '[A-Za-z0-9_%+-]+(?:\\.[A-Za-z0-9_%+-]+)*';
const label = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const topLevel = '(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})';
const emailPattern = new RegExp(
  `(?<![A-Za-z0-9._%+-])${localPart}@(?:${label}\\.)+${topLevel}(?![A-Za-z0-9_-])`,
  'g',
);

/** Email addresses, such as `jane.doe+news@example.com`. */
export const detectEmails: Detector = (text) => {
  if (!text.includes('@')) return [];
  return scan(emailPattern, text, (match) => spanOf(match, 'email'));
};
