// All PII kinds together: ordinary business text full of numbers yields nothing; a text with one of
// each kind yields each, ordered by position; kinds can be chosen, and unknown kinds are rejected.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../errors/index.js';
import { detectPii, piiDetectors, piiKinds } from './pii.js';
import { maskSpans } from './span.js';

/** `text` with ASCII digits and letters in their full-width forms, and spaces as no-break spaces. */
function disguised(text: string): string {
  return text
    .replace(/[0-9A-Za-z]/g, (character) => String.fromCharCode(character.charCodeAt(0) + 0xfee0))
    .replace(/ /g, '\u00A0');
}

const businessText = `Quarterly update (Q3 2024), version 2.14.1 of the report.

Order #48213 and order 123456789 shipped on 2024-05-12 at 14:30; the rest follow on 12/05/2024,
12.05.2024 and 5 June 2024 between 09:00-17:30. Invoice INV-2024-00017 totals $1,249.99 (incl. 20% VAT,
i.e. EUR 1.249,99), up 12.5% from 1,000,000 units; pi is 3.14159 and the ratio 16:9 stayed at 4:3.
Release 1.2.3 replaces build 10.0.19041.1; see ISBN 978-3-16-148410-0 or 0-306-40615-2 and ISSN
0317-8471. Ship to 94103-1234, SW1A 1AA, 75008 Paris or 10115 Berlin. Tracking 1Z999AA10123456784;
SKU RTX-4090-24G; PO 2024/0598; batch 20240512-0001; room 4.07; floor 3; phone ext. 2210.
Temperatures ranged 18-24°C; the budget is 1.5M for FY2025, 450,000 for 2026, and 1 234 567 in 2027.
Meeting ID 815 2231 9876, passcode 4417. Card ending 4242, account ending 0130. The desk (ext. 5501)
is open 8.30-17.00; gates 10-12 stay closed until 2025-01-06, and rates rose 0.25 points to 5.50%.
Lots 1-3 of 2024-Q4 sold for £12,500.00 each; see section 4.2.1, page 37, line 1200, item 3 of 7.`;

describe('detectPii', () => {
  it('finds nothing in ordinary business text full of numbers and dates', () => {
    expect(businessText.length).toBeGreaterThan(900);
    expect(detectPii(businessText)).toEqual([]);
  });

  it('finds nothing in the same text in full-width forms with no-break spaces', () => {
    expect(detectPii(disguised(businessText))).toEqual([]);
    expect(detectPii(businessText.replace(/ /g, '\u202F').replace(/\./g, '.\u200B'))).toEqual([]);
  });

  it('finds disguised personal data and masks the original characters', () => {
    const text =
      'Card 4111\u00A01111\u00A01111\u00A01111, mail bob\u200B@example.com or jörg@müller.de, ' +
      'IBAN gb82 west 1234 5698 7654 32, SSN ' +
      disguised('123-45-6789') +
      '.';
    expect(detectPii(text).map((span) => [span.kind, span.text])).toEqual([
      ['card', '4111\u00A01111\u00A01111\u00A01111'],
      ['email', 'bob\u200B@example.com'],
      ['email', 'jörg@müller.de'],
      ['iban', 'gb82 west 1234 5698 7654 32'],
      ['national-id', disguised('123-45-6789')],
    ]);
    expect(maskSpans(text, detectPii(text))).toBe(
      'Card [CARD], mail [EMAIL] or [EMAIL], IBAN [IBAN], SSN [NATIONAL-ID].',
    );
    expect(maskSpans(text, detectPii(text), () => '')).toBe('Card , mail  or , IBAN , SSN .');
  });

  it('leaves hidden characters at the edges of a span outside it, and keeps those inside', () => {
    const text = '\u200B\u00004111 1111\u00AD 1111 1111\uFEFF; ①②';
    expect(detectPii(text)).toEqual([
      { kind: 'card', start: 2, end: 22, text: '4111 1111\u00AD 1111 1111', detail: 'visa' },
    ]);
    expect(maskSpans(text, detectPii(text))).toBe('\u200B\u0000[CARD]\uFEFF; ①②');
  });

  it('agrees with the detector of each kind on disguised text', () => {
    const text = 'x\u200By ４２４２ ４２４２ ４２４２ ４２４２ — ａ@ｂｃ.ｄｅ\u0000 ::ｆｆｆｆ:192.0.2.1';
    const each = piiKinds.flatMap((kind) => piiDetectors[kind](text));
    expect(detectPii(text)).toEqual(each.sort((a, b) => a.start - b.start || b.end - a.end));
    expect(each.length).toBeGreaterThan(2);
  });

  it('finds one of each kind, ordered by position', () => {
    const text = [
      'Reach jane.doe@example.com or +44 20 7946 0958.',
      'Card 4242 4242 4242 4242, IBAN GB82 WEST 1234 5698 7654 32, SSN 123-45-6789.',
      'Host 192.0.2.1 uses key AKIAIOSFODNN7EXAMPLE.',
    ].join('\n');
    expect(detectPii(text).map((span) => [span.kind, span.text])).toEqual([
      ['email', 'jane.doe@example.com'],
      ['phone', '+44 20 7946 0958'],
      ['card', '4242 4242 4242 4242'],
      ['iban', 'GB82 WEST 1234 5698 7654 32'],
      ['national-id', '123-45-6789'],
      ['ip', '192.0.2.1'],
      ['secret', 'AKIAIOSFODNN7EXAMPLE'],
    ]);
  });

  it('runs only the kinds asked for', () => {
    const text = 'jane@example.com, 415-555-0132, 192.0.2.1';
    expect(detectPii(text, ['phone', 'ip']).map((span) => span.kind)).toEqual(['phone', 'ip']);
    expect(detectPii(text, [])).toEqual([]);
  });

  it('has a detector for every kind', () => {
    expect(Object.keys(piiDetectors).sort()).toEqual([...piiKinds].sort());
  });

  it('rejects an unknown kind', () => {
    expect(() => detectPii('x', ['email', 'passport' as never])).toThrow(ValidationError);
    expect(() => detectPii('x', ['toString' as never])).toThrowError(/Unknown PII kind "toString"/);
  });
});
