// Payment card numbers: Stripe's public test numbers of each issuer are found with their issuer;
// Luhn-invalid, prefix-less, oddly grouped and merely long digit runs are not.
import { describe, expect, it } from 'vitest';
import { detectCards } from './card.js';

const found: Array<[text: string, card: string, issuer: string]> = [
  ['Card: 4242 4242 4242 4242, exp 12/34', '4242 4242 4242 4242', 'visa'],
  ['4242-4242-4242-4242', '4242-4242-4242-4242', 'visa'],
  ['paid with 4242424242424242.', '4242424242424242', 'visa'],
  ['debit 4000 0566 5566 5556', '4000 0566 5566 5556', 'visa'],
  ['5555 5555 5555 4444', '5555 5555 5555 4444', 'mastercard'],
  ['2-series 2223 0031 2200 3222', '2223 0031 2200 3222', 'mastercard'],
  ['5200 8282 8282 8210', '5200 8282 8282 8210', 'mastercard'],
  ['Amex 3782 822463 10005 on file', '3782 822463 10005', 'amex'],
  ['371449635398431', '371449635398431', 'amex'],
  ['6011 1111 1111 1117', '6011 1111 1111 1117', 'discover'],
  ['6011 0009 9013 9424', '6011 0009 9013 9424', 'discover'],
  ['3056 9300 0902 0004', '3056 9300 0902 0004', 'diners'],
  ['(36227206271667)', '36227206271667', 'diners'],
  ['JCB 3566 0020 2036 0505', '3566 0020 2036 0505', 'jcb'],
  ['6200 0000 0000 0005', '6200 0000 0000 0005', 'unionpay'],
  ['6205500000000000004', '6205500000000000004', 'unionpay'],
  ['Maestro 6759 6498 2643 8453', '6759 6498 2643 8453', 'maestro'],
  // written with characters that look like (or are invisible next to) the ASCII ones
  ['no-break spaces 4111\u00A01111\u00A01111\u00A01111.', '4111\u00A01111\u00A01111\u00A01111', 'visa'],
  ['4111\u202F1111\u202F1111\u202F1111', '4111\u202F1111\u202F1111\u202F1111', 'visa'],
  ['figure spaces 4111\u20071111\u20071111\u20071111', '4111\u20071111\u20071111\u20071111', 'visa'],
  ['full-width ４１１１ １１１１ １１１１ １１１１!', '４１１１ １１１１ １１１１ １１１１', 'visa'],
  [
    'ideographic spaces ４１１１\u3000１１１１\u3000１１１１\u3000１１１１',
    '４１１１\u3000１１１１\u3000１１１１\u3000１１１１',
    'visa',
  ],
  ['zero-width 4111\u200B1111\u200C1111\u200D1111', '4111\u200B1111\u200C1111\u200D1111', 'visa'],
  ['NULs 5555\u00005555\u00005555\u00004444 end', '5555\u00005555\u00005555\u00004444', 'mastercard'],
  ['word joiner and BOM 4242\u20604242\uFEFF4242\u20604242', '4242\u20604242\uFEFF4242\u20604242', 'visa'],
];

const ignored: Array<[what: string, text: string]> = [
  ['Luhn-invalid Visa', '4242 4242 4242 4241'],
  ['Luhn-invalid Mastercard', '5555 5555 5555 4445'],
  ['sequential digits', '1234 5678 9012 3456'],
  ['Luhn-valid but no issuer', '0000 0000 0000 0000'],
  ['mixed separators', '4242 4242-4242 4242'],
  ['double space', '4242  4242 4242 4242'],
  ['first group of five', '42424 2424 2424 242'],
  ['twenty digits', '4242 4242 4242 4242 4242'],
  ['Visa prefix at a length Visa never uses', '4242 4242 4242 42'],
  ['ISBN-13 with hyphens', 'ISBN 978-3-16-148410-0'],
  ['ISBN-13 compact', 'ISBN 9783161484100'],
  ['order number', 'Order 100000000000000 shipped'],
  ['phone number', '+1 415 555 0132'],
  ['price', '$4,242.42'],
  ['date', '12.05.2024'],
  ['part of a dotted number', '1.4242424242424242'],
  ['inside a word', 'ref4242424242424242'],
  ['Luhn-invalid with no-break spaces', '4242\u00A04242\u00A04242\u00A04241'],
  ['amount grouped by narrow no-break spaces', 'total 12\u202F345\u202F678,90\u00A0€'],
  ['amount grouped by no-break spaces', 'Budget 1\u00A0234\u00A0567\u00A0890 EUR'],
  ['full-width date', '２０２４-０５-１２'],
  ['full-width ISBN', 'ISBN ９７８-３-１６-１４８４１０-０'],
];

// a number with `prefix`, padded with zeros to `length`, ending in its Luhn check digit
function withCheckDigit(prefix: string, length: number): string {
  const body = prefix.padEnd(length - 1, '0');
  let sum = 0;
  [...body].reverse().forEach((digit, position) => {
    const value = Number(digit) * (position % 2 === 0 ? 2 : 1);
    sum += value > 9 ? value - 9 : value;
  });
  return body + String((10 - (sum % 10)) % 10);
}

const prefixBoundaries: Array<[prefix: string, length: number, issuer: string | undefined]> = [
  ['2221', 16, 'mastercard'],
  ['2720', 16, 'mastercard'],
  ['2721', 16, undefined],
  ['2220', 16, undefined],
  ['2204', 16, 'mir'],
  ['622126', 16, 'discover'],
  ['622125', 16, 'unionpay'],
  ['3528', 16, 'jcb'],
  ['3527', 16, undefined],
  ['6759', 16, 'maestro'],
  ['4', 13, 'visa'],
  ['4', 15, undefined],
  ['34', 16, undefined],
  ['9', 16, undefined],
];

describe('detectCards', () => {
  it.each(prefixBoundaries)('reads prefix %s at length %i as %s', (prefix, length, issuer) => {
    const number = withCheckDigit(prefix, length);
    expect(detectCards(number).map((span) => span.detail)).toEqual(issuer === undefined ? [] : [issuer]);
  });

  it.each(found)('finds the card in %j', (text, card, issuer) => {
    expect(detectCards(text)).toEqual([
      {
        kind: 'card',
        start: text.indexOf(card),
        end: text.indexOf(card) + card.length,
        text: card,
        detail: issuer,
      },
    ]);
  });

  it.each(ignored)('ignores %s: %j', (_what, text) => {
    expect(detectCards(text)).toEqual([]);
  });

  it('finds several cards in one text, in order', () => {
    const text = 'Primary 4242 4242 4242 4242; backup 5555 5555 5555 4444.';
    expect(detectCards(text).map((span) => span.detail)).toEqual(['visa', 'mastercard']);
  });
});
