// IBANs: the ECBS/SWIFT published examples are found in print and compact form with their country;
// wrong checksums, wrong lengths, unknown countries and IBAN-looking codes are not.
import { describe, expect, it } from 'vitest';
import { detectIbans, ibanLengths } from './iban.js';

const found: Array<[text: string, iban: string]> = [
  ['Pay to GB82 WEST 1234 5698 7654 32 by Friday.', 'GB82 WEST 1234 5698 7654 32'],
  ['IBAN: GB82WEST12345698765432', 'GB82WEST12345698765432'],
  ['DE89 3704 0044 0532 0130 00', 'DE89 3704 0044 0532 0130 00'],
  ['FR14 2004 1010 0505 0001 3M02 606', 'FR14 2004 1010 0505 0001 3M02 606'],
  ['(NL91 ABNA 0417 1643 00)', 'NL91 ABNA 0417 1643 00'],
  ['BE68 5390 0754 7034', 'BE68 5390 0754 7034'],
  ['CH93 0076 2011 6238 5295 7', 'CH93 0076 2011 6238 5295 7'],
  ['NO93 8601 1117 947', 'NO93 8601 1117 947'],
  ['ES91 2100 0418 4502 0005 1332', 'ES91 2100 0418 4502 0005 1332'],
  ['IT60 X054 2811 1010 0000 0123 456', 'IT60 X054 2811 1010 0000 0123 456'],
  ['AT61 1904 3002 3457 3201 EUR', 'AT61 1904 3002 3457 3201'],
  ['DK50 0040 0440 1162 43', 'DK50 0040 0440 1162 43'],
  ['SE45 5000 0000 0583 9825 7466', 'SE45 5000 0000 0583 9825 7466'],
  ['PL61 1090 1014 0000 0712 1981 2874', 'PL61 1090 1014 0000 0712 1981 2874'],
  ['IE29 AIBK 9311 5212 3456 78', 'IE29 AIBK 9311 5212 3456 78'],
  ['MT84 MALT 0110 0001 2345 MTLC AST0 01S', 'MT84 MALT 0110 0001 2345 MTLC AST0 01S'],
  // lowercase, other spaces, full-width
  ['pay gb82 west 1234 5698 7654 32 now', 'gb82 west 1234 5698 7654 32'],
  ['de89370400440532013000', 'de89370400440532013000'],
  ['Nl91 Abna 0417 1643 00', 'Nl91 Abna 0417 1643 00'],
  [
    'DE89\u00A03704\u00A00044\u00A00532\u00A00130\u00A000',
    'DE89\u00A03704\u00A00044\u00A00532\u00A00130\u00A000',
  ],
  ['ＧＢ８２ ＷＥＳＴ １２３４ ５６９８ ７６５４ ３２', 'ＧＢ８２ ＷＥＳＴ １２３４ ５６９８ ７６５４ ３２'],
];

const ignored: Array<[what: string, text: string]> = [
  ['wrong checksum (GB)', 'GB82 WEST 1234 5698 7654 33'],
  ['wrong check digits (DE)', 'DE88 3704 0044 0532 0130 00'],
  ['one character short', 'GB82 WEST 1234 5698 7654 3'],
  ['one character long, compact', 'DE893704004405320130001'],
  ['unknown country', 'XX82 WEST 1234 5698 7654 32'],
  ['transposed digits', 'NL91 ABNA 0417 1634 00'],
  ['groups of three', 'GB82 WES T12 345 698 765 432'],
  ['inside a word', 'refGB82WEST12345698765432'],
  ['UK postcode', 'SW1A 1AA'],
  ['product code', 'Model RTX4090 and ISO 9001'],
  ['date and amount', 'on 2024-05-12 we paid EUR 1,249.99'],
  ['lowercase, wrong checksum', 'gb82 west 1234 5698 7654 33'],
  ['lowercase words', 'de12 abcd efgh ijkl mnop qr'],
  ['lowercase hex id', 'request de3f9a2b7c41e05d8f6b2a91c'],
];

describe('detectIbans', () => {
  it.each(found)('finds the IBAN in %j', (text, iban) => {
    const start = text.indexOf(iban);
    expect(detectIbans(text)).toEqual([
      {
        kind: 'iban',
        start,
        end: start + iban.length,
        text: iban,
        detail: iban.normalize('NFKC').slice(0, 2).toUpperCase(),
      },
    ]);
  });

  it.each(ignored)('ignores %s: %j', (_what, text) => {
    expect(detectIbans(text)).toEqual([]);
  });

  it('knows the SEPA countries and their neighbours', () => {
    expect(ibanLengths).toMatchObject({ DE: 22, GB: 22, FR: 27, NO: 15, CH: 21, MT: 31, BE: 16 });
  });
});
