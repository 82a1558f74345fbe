// Escaping for the self-contained HTML reports (evaluation and optimization).

/** Text (or any value, as JSON) safe to put in HTML text and attribute values. */
export function escapeHtml(text: unknown): string {
  return String(typeof text === 'string' ? text : JSON.stringify(text)).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}
