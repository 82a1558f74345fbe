// Escaping for the self-contained HTML reports (evaluation and optimization). Long text is cut before it
// is escaped, never after, so a cut cannot split an entity such as `&amp;`.

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

/** The value's text cut to at most `length` characters (a cut ends in "…"), never inside a surrogate pair. */
export function cutText(value: unknown, length: number): string {
  const text = textOf(value);
  if (text.length <= length) return text;
  let end = Math.max(0, length - 1);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--; // a high surrogate whose partner would be cut off
  return `${text.slice(0, end)}…`;
}

/**
 * Text (or any value, as JSON) safe to put in HTML text and attribute values; with `maxLength`, cut to
 * that many characters first.
 */
export function escapeHtml(value: unknown, maxLength?: number): string {
  const text = maxLength === undefined ? textOf(value) : cutText(value, maxLength);
  return text.replace(/[&<>"']/g, (character) => entities[character]);
}
