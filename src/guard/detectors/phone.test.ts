// Telephone numbers: international (+) numbers and the US, UK and French national formats are found
// (fictional 555-01xx, Ofcom drama and ARCEP example ranges); dates, times, decimals, versions,
// order numbers, years and card numbers are not.
import { describe, expect, it } from 'vitest';
import { detectPhones } from './phone.js';

const found: Array<[text: string, phone: string, scheme: string]> = [
  ['Call (415) 555-0132 today', '(415) 555-0132', 'nanp'],
  ['415-555-0132', '415-555-0132', 'nanp'],
  ['or 415.555.0132.', '415.555.0132', 'nanp'],
  ['415 555 0132', '415 555 0132', 'nanp'],
  ['toll-free 1-800-555-0199', '1-800-555-0199', 'nanp'],
  ['+1 415 555 0132', '+1 415 555 0132', 'international'],
  ['tel:+1 (415) 555-0132', '+1 (415) 555-0132', 'international'],
  ['+14155550132', '+14155550132', 'international'],
  ['London: +44 20 7946 0958', '+44 20 7946 0958', 'international'],
  ['+44 (0)20 7946 0958', '+44 (0)20 7946 0958', 'international'],
  ['+33 6 12 34 56 78', '+33 6 12 34 56 78', 'international'],
  ['+49 30 901820', '+49 30 901820', 'international'],
  ['+33.1.23.45.67.89', '+33.1.23.45.67.89', 'international'],
  ['020 7946 0958', '020 7946 0958', 'uk'],
  ['Manchester 0161 496 0000', '0161 496 0000', 'uk'],
  ['01632 960000', '01632 960000', 'uk'],
  ['mobile 07700 900123', '07700 900123', 'uk'],
  ['(020) 7946 0958', '(020) 7946 0958', 'uk'],
  ['06 12 34 56 78', '06 12 34 56 78', 'fr'],
  ['01.23.45.67.89', '01.23.45.67.89', 'fr'],
  ['06-12-34-56-78', '06-12-34-56-78', 'fr'],
  ['tél. 06\u00A012\u00A034\u00A056\u00A078', '06\u00A012\u00A034\u00A056\u00A078', 'fr'],
  ['＋４４ ２０ ７９４６ ０９５８', '＋４４ ２０ ７９４６ ０９５８', 'international'],
];

const ignored: Array<[what: string, text: string]> = [
  ['ISO date', 'Due 2024-05-12'],
  ['slashed date', '12/05/2024'],
  ['dotted date', '12.05.2024'],
  ['dashed date', '12-05-2024'],
  ['dotted ISO date', '2024.05.12'],
  ['time', 'at 14:30:59'],
  ['time range', '09:00-17:30'],
  ['plain number', '1234567'],
  ['decimal', '3.14159'],
  ['thousands', '1,000,000'],
  ['price', '$1,249.99'],
  ['percentage', '12.5%'],
  ['version', 'v1.2.3 and 1.2.3'],
  ['IP address', '192.168.100.200'],
  ['order number', 'Order 123456789'],
  ['ten-digit plain run', 'Ref 0612345678'],
  ['year', 'In 2024'],
  ['US area code starting with 1', '123-456-7890'],
  ['US exchange starting with 0', '415-055-0132'],
  ['mixed US separators', '415-555.0132'],
  ['seven-digit local number', '555-0132'],
  ['too few international digits', '+1 234'],
  ['too many international digits', '+1 234 567 890 123 456'],
  ['French number running on', '06 12 34 56 78 90'],
  ['UK number with ten digits', '020 7946 095'],
  ['ISBN', '978-3-16-148410-0 and 0-306-40615-2'],
  ['US ZIP+4', '94103-1234'],
  ['card number', '4242 4242 4242 4242'],
  ['IBAN digits', 'DE89 3704 0044 0532 0130 00'],
  ['inside a longer number', '12 415 555 0132'],
  ['coordinates', 'at +48.858844, +2.294351'],
  ['signed decimal', '+3.14159265358979'],
  ['amount with no-break spaces', '1\u00A0234\u00A0567 units'],
  ['full-width time range', '０９:００-１７:３０'],
];

describe('detectPhones', () => {
  it.each(found)('finds the number in %j', (text, phone, scheme) => {
    const start = text.indexOf(phone);
    expect(detectPhones(text)).toEqual([
      { kind: 'phone', start, end: start + phone.length, text: phone, detail: scheme },
    ]);
  });

  it.each(ignored)('ignores %s: %j', (_what, text) => {
    expect(detectPhones(text)).toEqual([]);
  });
});
