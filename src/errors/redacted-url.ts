// A URL as an error message may show it: its password (in the authority or as a `password` query
// parameter) replaced by ***. A URL the URL parser refuses keeps nothing between `//` and its last `@`.
// It does not judge whether the URL is usable: that is the caller's check.

/** `url` with any password in it replaced by ***. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    return parsed.toString();
  } catch {
    return url.replace(/\/\/.*@/, '//***@');
  }
}
