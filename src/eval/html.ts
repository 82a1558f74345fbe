// Escaping for the self-contained HTML reports (evaluation and optimization). Long text is cut before it
// is escaped, never after, so a cut cannot split an entity such as `&amp;`, and never inside a character
// (an emoji with its modifiers, a letter with its accents).

import { cutText as cutWhole } from '../errors/index.js';

const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** The text of a value: a string as is, anything else as JSON. */
function textOf(value: unknown): string {
  return String(typeof value === 'string' ? value : JSON.stringify(value));
}

/** The value's text cut to at most `length` characters (a cut ends in "…"), between graphemes. */
export function cutText(value: unknown, length: number): string {
  return cutWhole(textOf(value), length);
}

/**
 * Text (or any value, as JSON) safe to put in HTML text and attribute values; with `maxLength`, cut to
 * that many characters first (between graphemes).
 */
export function escapeHtml(value: unknown, maxLength?: number): string {
  const text = maxLength === undefined ? textOf(value) : cutText(value, maxLength);
  return (
    text
      .replace(/[&<>"']/g, (character) => entities[character])
      // control characters other than tab and line breaks (NUL is an HTML parse error, and makes grep
      // call the report binary) are shown as their Control Pictures: ␀, ␇, ␡
      // eslint-disable-next-line no-control-regex -- they are what is replaced
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, (character) =>
        String.fromCharCode(character === '\u007F' ? 0x2421 : 0x2400 + character.charCodeAt(0)),
      )
      // the C1 controls, parse errors too, have no pictures: shown as the replacement character
      .replace(/[\u0080-\u009F]/g, '\uFFFD')
  );
}
