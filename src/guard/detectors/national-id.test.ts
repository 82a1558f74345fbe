// National identity numbers: US SSNs, UK National Insurance numbers, French NIRs and Spanish DNI/NIE
// numbers are found with their scheme when their rules and check characters hold; invalid areas,
// unissued prefixes, wrong keys and wrong letters are not, nor are plain digit runs and dates.
import { describe, expect, it } from 'vitest';
import { detectNationalIds } from './national-id.js';

const found: Array<[text: string, id: string, scheme: string]> = [
  ['SSN 123-45-6789', '123-45-6789', 'us-ssn'],
  ['ssn: 123 45 6789.', '123 45 6789', 'us-ssn'],
  ['(219-09-9999)', '219-09-9999', 'us-ssn'],
  ['NI number AB 12 34 56 C', 'AB 12 34 56 C', 'uk-nino'],
  ['AB123456C', 'AB123456C', 'uk-nino'],
  ['CE 65 43 21 D', 'CE 65 43 21 D', 'uk-nino'],
  ['NIR 2 55 08 14 168 025 38', '2 55 08 14 168 025 38', 'fr-nir'],
  ['255081416802538', '255081416802538', 'fr-nir'],
  ['2 69 05 49 588 157 80', '2 69 05 49 588 157 80', 'fr-nir'],
  ['born in Corsica: 1 75 12 2A 123 456 53', '1 75 12 2A 123 456 53', 'fr-nir'],
  ['DNI 12345678Z', '12345678Z', 'es-dni'],
  ['12345678-Z', '12345678-Z', 'es-dni'],
  ['NIE X1234567L', 'X1234567L', 'es-nie'],
  ['Y7654321G', 'Y7654321G', 'es-nie'],
  ['SSN １２３-４５-６７８９', '１２３-４５-６７８９', 'us-ssn'],
  ['AB\u00A012\u00A034\u00A056\u00A0C', 'AB\u00A012\u00A034\u00A056\u00A0C', 'uk-nino'],
];

const ignored: Array<[what: string, text: string]> = [
  ['SSN area 000', '000-12-3456'],
  ['SSN area 666', '666-12-3456'],
  ['SSN area 9xx', '900-12-3456 and 987-65-4321'],
  ['SSN group 00', '123-00-4567'],
  ['SSN serial 0000', '123-45-0000'],
  ['plain nine digits', 'Order 123456789'],
  ['mixed SSN separators', '123-45 6789'],
  ['SSN running on', '123-45-6789-0'],
  ['NINO specimen with Q prefix', 'QQ 12 34 56 C'],
  ['NINO unissued prefix', 'GB 12 34 56 A'],
  ['NINO second letter O', 'AO 12 34 56 A'],
  ['NINO first letter D', 'DA123456C'],
  ['NINO suffix E', 'AB 12 34 56 E'],
  ['NINO mixed spacing', 'AB 12 3456 C'],
  ['NIR with a wrong key', '2 55 08 14 168 025 39'],
  ['NIR Corsica with the other key', '1 75 12 2B 123 456 53'],
  ['NIR month 13', '2 55 13 14 168 025 38'],
  ['DNI wrong letter', '12345678A'],
  ['NIE wrong letter', 'X1234567A'],
  ['ISO date', '2024-05-12'],
  ['phone number', '415-555-0132'],
  ['ZIP+4', '94103-1234'],
  ['full-width ZIP+4', '９４１０３-１２３４'],
];

describe('detectNationalIds', () => {
  it.each(found)('finds the number in %j', (text, id, scheme) => {
    const start = text.indexOf(id);
    expect(detectNationalIds(text)).toEqual([
      { kind: 'national-id', start, end: start + id.length, text: id, detail: scheme },
    ]);
  });

  it.each(ignored)('ignores %s: %j', (_what, text) => {
    expect(detectNationalIds(text)).toEqual([]);
  });
});
