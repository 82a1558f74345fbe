// Retries said on stderr while an evaluation runs: a rate limit or a server error retried in silence
// read as a hang. One line at most every 5 s (with how many more came meanwhile), the progress bar's
// line cleared first so that a terminal redraws it below.

/** What the progress bar offers: clearing its line for one of its own. */
interface ClearableBar {
  clear(): void;
}

/** An onRetry for evaluate that writes to `stream`, throttled. */
export function retryNotices(
  bar: ClearableBar,
  stream: NodeJS.WritableStream = process.stderr,
  everyMs = 5000,
): (retry: { line: number; reason: string; attempt: number; delayMs: number }) => void {
  let lastLine = -Infinity;
  let unsaid = 0;
  return ({ line, reason, attempt, delayMs }) => {
    const now = Date.now();
    if (now - lastLine < everyMs) {
      unsaid++;
      return;
    }
    lastLine = now;
    const more = unsaid > 0 ? ` (${unsaid} more retried since the last line)` : '';
    unsaid = 0;
    bar.clear();
    stream.write(
      `retrying line ${line}: ${reason}, retry ${attempt} in ${(delayMs / 1000).toFixed(1)} s${more}\n`,
    );
  };
}
