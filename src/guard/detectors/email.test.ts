// Email addresses at example domains: found with exact extents (no trailing dot, no brackets);
// incomplete addresses, handles and at-signs in prices are not.
import { describe, expect, it } from 'vitest';
import { detectEmails } from './email.js';

const found: Array<[text: string, email: string]> = [
  ['jane.doe@example.com', 'jane.doe@example.com'],
  ['Write to jane.doe+news@example.com.', 'jane.doe+news@example.com'],
  ['<j_smith@mail.example.co.uk>', 'j_smith@mail.example.co.uk'],
  ['(first.last@sub.example.org)', 'first.last@sub.example.org'],
  ['UPPER@EXAMPLE.COM', 'UPPER@EXAMPLE.COM'],
  ['user%tag@example.net;', 'user%tag@example.net'],
  ['name-with-dash@my-domain.example.com', 'name-with-dash@my-domain.example.com'],
  ['ticket 123@example.com', '123@example.com'],
  ['mailto:support@example.io?subject=hi', 'support@example.io'],
  ['"jane@example.com"', 'jane@example.com'],
  ['user@xn--bcher-kva.example', 'user@xn--bcher-kva.example'],
  ['Café ☕ — contact: chef@example.fr', 'chef@example.fr'],
  // hidden characters, full-width forms and internationalized addresses (RFC 6531)
  ['bob\u200B@example.com', 'bob\u200B@example.com'],
  ['mail bob\u0000@exa\u200Dmple.com now', 'bob\u0000@exa\u200Dmple.com'],
  ['\uFEFFbob@example.com', 'bob@example.com'],
  ['ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ', 'ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ'],
  ['Schreib an jörg@müller.de.', 'jörg@müller.de'],
  ['decomposed jo\u0308rg@mu\u0308ller.de', 'jo\u0308rg@mu\u0308ller.de'],
  ['Пишите: иван@пример.рф', 'иван@пример.рф'],
  ['josé.garcía@correo.example.es', 'josé.garcía@correo.example.es'],
];

const ignored: Array<[what: string, text: string]> = [
  ['no local part', 'ping @example.com'],
  ['no domain', 'jane@'],
  ['single-label domain', 'jane@localhost'],
  ['no top-level domain', 'jane@example'],
  ['one-letter top-level domain', 'jane@example.c'],
  ['numeric top-level domain', 'admin@10.0.0.1'],
  ['dot before the at-sign', 'jane.@example.com'],
  ['two dots in the local part', 'jane..doe@example.com'],
  ['domain starting with a dash', 'jane@-example.com'],
  ['social handle', 'follow @promptune on social media'],
  ['price', '3 apples @ $1.20 each, 5@10.00'],
  ['decorator', '@Component({ selector: "app" })'],
  ['Unicode single-label domain', 'jörg@müller'],
  ['full-width price', '5＠１０.００'],
  ['handle after a no-break space', 'follow\u00A0@münchen'],
];

describe('detectEmails', () => {
  it.each(found)('finds the address in %j', (text, email) => {
    const start = text.indexOf(email);
    expect(detectEmails(text)).toEqual([{ kind: 'email', start, end: start + email.length, text: email }]);
  });

  it.each(ignored)('ignores %s: %j', (_what, text) => {
    expect(detectEmails(text)).toEqual([]);
  });

  it('finds every address in a list', () => {
    const text = 'cc: a@example.com, b@example.org; c@example.net';
    expect(detectEmails(text).map((span) => span.text)).toEqual([
      'a@example.com',
      'b@example.org',
      'c@example.net',
    ]);
  });
});
