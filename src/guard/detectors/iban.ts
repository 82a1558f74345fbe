// International Bank Account Numbers: a country code, two check digits and the national account
// number, written compactly or in groups of four separated by single spaces, whose length matches the
// country's and whose ISO 7064 mod 97-10 checksum holds. It does not validate the national part's own
// check digits. Letters count in either case (`gb82 west ...` is read as `GB82 WEST ...`).
import { remainder97 } from './_checksums.js';
import { onNormalizedText } from './_normalize.js';
import { scan } from './_scan.js';

// IBAN lengths by country (SWIFT IBAN registry), as `CCnn` entries
const registry =
  'AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BR29 BY28 CH21 CR22 CY28 ' +
  'CZ24 DE22 DK18 DO28 EE20 EG29 ES24 FI18 FO18 FR27 GB22 GE22 GI23 GL18 ' +
  'GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 ' +
  'LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MR27 MT31 MU30 NL18 NO15 ' +
  'PK24 PL28 PS29 PT25 QA29 RO24 RS22 SA24 SC31 SE24 SI19 SK24 SM27 ST25 ' +
  'SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20';

/** IBAN lengths by country code, from the SWIFT IBAN registry. */
export const ibanLengths: Readonly<Record<string, number>> = Object.fromEntries(
  registry.split(' ').map((entry) => [entry.slice(0, 2), Number(entry.slice(2))]),
);

// compact, or the print format's groups of four with a shorter last group; validation trims a
// match that runs into a following word to the country's length
const ibanPattern =
  /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)(?![A-Za-z0-9])/gi;

/** International Bank Account Numbers, such as `GB82 WEST 1234 5698 7654 32`; `detail` is the country. */
export const detectIbans = onNormalizedText((text) =>
  scan(ibanPattern, text, (match) => {
    const country = match[0].slice(0, 2).toUpperCase();
    const length = ibanLengths[country];
    if (length === undefined) return undefined;
    // walk the match up to the country's length in account characters (spaces not counted)
    let end = 0;
    let characters = 0;
    while (end < match[0].length && characters < length) {
      if (match[0][end] !== ' ') characters += 1;
      end += 1;
    }
    const rest = match[0].slice(end);
    if (characters < length || !(rest === '' || rest.startsWith(' '))) return undefined;
    const raw = match[0].slice(0, end);
    const compact = raw.replace(/ /g, '').toUpperCase();
    if (remainder97(compact.slice(4) + compact.slice(0, 4)) !== 1) return undefined;
    return { kind: 'iban', start: match.index, end: match.index + end, text: raw, detail: country };
  }),
);
