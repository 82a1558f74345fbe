// IP addresses: dotted-quad IPv4 (each octet 0-255, no leading zeros, not part of a longer dotted
// number and not introduced as a version) and IPv6 in full, `::`-compressed and IPv4-suffixed forms.
// It does not read zone ids (`%eth0`), CIDR suffixes or ports, and does not judge whether an address
// is private or reserved: the documentation ranges are detected like any other.
import { onNormalizedText } from './_normalize.js';
import { scan, spanOf } from './_scan.js';

const octet = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const ipv4Pattern = new RegExp(`(?<![\\w.])${octet}(?:\\.${octet}){3}(?![\\w]|\\.\\d)`, 'g');
const ipv4Exact = new RegExp(`^${octet}(?:\\.${octet}){3}$`);
// a candidate: hex groups and colons (two at least), optionally ending in a dotted IPv4 suffix
const ipv6Pattern =
  /(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,8}(?:(?:\.\d{1,3}){3})?(?![\w:]|\.\d)/g;
const hexGroup = /^[0-9A-Fa-f]{1,4}$/;
// "version 1.2.3.4", "build 10.0.19041.1", "section 12.3.4.5": four-part numbers that are not addresses
const versionBefore = /(?:\b(?:version|release|build|ver|v|section|chapter|clause)\.?|§)\s*:?\s*$/i;

/** True when `candidate` is an IPv6 address in full, compressed or IPv4-suffixed form. */
export function isIpv6(candidate: string): boolean {
  let head = candidate;
  let groupCount = 8;
  const lastColon = candidate.lastIndexOf(':');
  if (candidate.includes('.')) {
    if (!ipv4Exact.test(candidate.slice(lastColon + 1))) return false;
    head = candidate.endsWith('::', lastColon + 1)
      ? candidate.slice(0, lastColon + 1)
      : candidate.slice(0, lastColon);
    groupCount = 6;
  }
  const halves = head.split('::');
  if (halves.length > 2) return false;
  const groups = halves.map((half) => (half === '' ? [] : half.split(':')));
  if (!groups.every((half) => half.every((group) => hexGroup.test(group)))) return false;
  const total = groups[0].length + (groups[1]?.length ?? 0);
  if (halves.length === 1) return total === groupCount;
  // a bare "::" (or "::" plus nothing but an IPv4 suffix) is too often punctuation to report
  return total <= groupCount - 1 && (total > 0 || groupCount === 6);
}

/** IPv4 and IPv6 addresses, such as `192.0.2.10` or `2001:db8::8a2e:370:7334`; `detail` is the version. */
export const detectIpAddresses = onNormalizedText((text) => {
  const spans = text.includes('.')
    ? scan(ipv4Pattern, text, (match) =>
        versionBefore.test(text.slice(Math.max(0, match.index - 12), match.index))
          ? undefined
          : spanOf(match, 'ip', 'ipv4'),
      )
    : [];
  if (!text.includes(':')) return spans;
  const ipv6 = scan(ipv6Pattern, text, (match) =>
    isIpv6(match[0]) ? spanOf(match, 'ip', 'ipv6') : undefined,
  );
  if (ipv6.length === 0) return spans;
  // an IPv4 suffix ("::ffff:192.0.2.1") is part of its IPv6 address, not a second address
  const outside = spans.filter(
    (span) => !ipv6.some((wide) => wide.start <= span.start && span.end <= wide.end),
  );
  return [...outside, ...ipv6].sort((a, b) => a.start - b.start);
});
