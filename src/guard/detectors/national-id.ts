// National identity numbers whose shape carries validity rules: US Social Security numbers (dashes or
// spaces required), UK National Insurance numbers, French NIR (social security) numbers with their
// key, and Spanish DNI/NIE numbers with their check letter. It does not look for numbers that are
// only a bare digit run with nothing to check (Dutch BSN's 11-test passes one 9-digit number in 11).
import { remainder97 } from './_checksums.js';
import { onNormalizedText } from './_normalize.js';
import { scan } from './_scan.js';
import type { DetectedSpan } from './span.js';

// one pattern, one named group per scheme; every scheme is checked further below
const unitedStates =
  '(?<usSsn>(?<usArea>\\d{3})(?<usSeparator>[- ])(?<usGroup>\\d{2})\\k<usSeparator>(?<usSerial>\\d{4}))';
// prefix letters: first not D F I Q U V, second not D F I O Q U V; suffix A-D
const britishPrefix = '[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]';
const british = `(?<ukNino>${britishPrefix}(?<ukSeparator> ?)\\d{2}\\k<ukSeparator>\\d{2}\\k<ukSeparator>\\d{2}\\k<ukSeparator>[A-D])`;
// sex, year, month, department (2A/2B for Corsica), commune, order, key; spaces optional between parts
const french = '(?<frNir>[12] ?\\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\\d) ?(?:\\d{2}|2[AB]) ?\\d{3} ?\\d{3} ?\\d{2})';
const spanish = '(?<esId>(?:[XYZ]\\d{7}|\\d{8})-?[A-HJ-NP-TV-Z])';

const nationalIdPattern = new RegExp(
  `(?<![\\w-])(?:${unitedStates}|${british}|${french}|${spanish})(?![\\w]|[- ]\\d)`,
  'g',
);

// prefixes the UK has never issued (administrative or reserved)
const britishUnissued = new Set(['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ']);
const spanishLetters = 'TRWAGMYFPDXBNJZSQVHLCKE';

function validSocialSecurity(groups: Record<string, string>): boolean {
  const area = Number(groups.usArea);
  return area !== 0 && area !== 666 && area < 900 && groups.usGroup !== '00' && groups.usSerial !== '0000';
}

function validFrenchNir(number: string): boolean {
  const compact = number.replace(/ /g, '');
  // Corsica: the key is computed with 2A read as 19 and 2B as 18
  const digits = compact
    .slice(0, 13)
    .replace(/^(.{5})2A/, '$119')
    .replace(/^(.{5})2B/, '$118');
  return 97 - remainder97(digits) === Number(compact.slice(13));
}

function validSpanish(number: string): string | undefined {
  const compact = number.replace('-', '');
  // an NIE's leading X, Y or Z counts as 0, 1 or 2
  const foreigner = 'XYZ'.indexOf(compact[0]);
  const digits = foreigner >= 0 ? foreigner + compact.slice(1, 8) : compact.slice(0, 8);
  if (spanishLetters[Number(digits) % 23] !== compact[8]) return undefined;
  return foreigner >= 0 ? 'es-nie' : 'es-dni';
}

/** The scheme a match belongs to, when it passes that scheme's rules. */
function schemeOf(match: RegExpExecArray): string | undefined {
  const groups = match.groups ?? {};
  if (groups.usSsn !== undefined) return validSocialSecurity(groups) ? 'us-ssn' : undefined;
  if (groups.ukNino !== undefined) return britishUnissued.has(match[0].slice(0, 2)) ? undefined : 'uk-nino';
  if (groups.frNir !== undefined) return validFrenchNir(groups.frNir) ? 'fr-nir' : undefined;
  return validSpanish(groups.esId);
}

/**
 * National identity numbers, such as `123-45-6789`, `AB 12 34 56 C`, `2 55 08 14 168 025 38` or
 * `12345678Z`; `detail` is the scheme (`us-ssn`, `uk-nino`, `fr-nir`, `es-dni`, `es-nie`).
 */
export const detectNationalIds = onNormalizedText((text) =>
  scan(nationalIdPattern, text, (match): DetectedSpan | undefined => {
    const scheme = schemeOf(match);
    if (scheme === undefined) return undefined;
    return {
      kind: 'national-id',
      start: match.index,
      end: match.index + match[0].length,
      text: match[0],
      detail: scheme,
    };
  }),
);
