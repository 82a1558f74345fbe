// Download progress on stderr for hf: models: a live percentage on a terminal, one line per finished
// file otherwise (so logs stay readable). stdout is never touched. A line redrawn in place is cut to the
// terminal's width: a line that wrapped would leave its first part behind at every redraw.

/**
 * `text` cut to fit one row of a terminal `columns` wide, with one column spare so the cursor never
 * wraps (characters counted as one column each). Unknown width: unchanged.
 */
export function fitLine(text: string, columns: number | undefined): string {
  if (!columns || columns < 2) return text;
  const characters = Array.from(text);
  return characters.length < columns ? text : characters.slice(0, columns - 1).join('');
}

/** An onProgress callback for hub downloads. */
export function downloadProgress(
  stream: NodeJS.WriteStream = process.stderr,
): (file: string, done: number, total: number) => void {
  const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  let lastDraw = 0;
  return (file, done, total) => {
    const finished = done >= total;
    if (stream.isTTY) {
      const now = Date.now();
      if (!finished && now - lastDraw < 100) return;
      lastDraw = now;
      const percent = total > 0 ? Math.floor((100 * done) / total) : 100;
      const line = `downloading ${file} ${String(percent).padStart(3)}% ${megabytes(done)} of ${megabytes(total)}`;
      stream.write(`\r${fitLine(line, stream.columns)}\u001b[K${finished ? '\n' : ''}`);
    } else if (finished) {
      stream.write(`downloaded ${file} (${megabytes(total)})\n`);
    }
  };
}

/** The longest a log goes without a progress line while updates come (ms). */
const lineEvery = 30_000;

/**
 * A progress bar on stderr: redrawn in place on a terminal; otherwise (a log, a job's output) a line per
 * 10%, and one at least every 30 s of updates, so a long run's log shows where it is. The time left is
 * the pace since the first update of the current count: a resumed run's earlier steps do not count, and
 * a count that starts over (the next trial of a search) starts its pace over too.
 */
export function progressBar(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): { update(done: number, total: number, detail?: string): void; finish(): void; clear(): void } {
  let start: { time: number; done: number } | undefined;
  let lastDone = 0;
  let lastTotal = 0;
  let lastDraw = 0;
  let lastDecile = -1;
  let lastLine = 0;
  let drawn = false;
  return {
    update(done, total, detail = '') {
      if (!start || done < lastDone) {
        start = { time: Date.now(), done };
        lastDecile = -1;
      }
      lastDone = done;
      // a total that moved (a run that grew) draws its next line whatever the decile
      if (total !== lastTotal) lastDecile = -1;
      lastTotal = total;
      const fraction = total ? done / total : 1;
      const elapsed = (Date.now() - start.time) / 1000;
      const pace = done > start.done ? elapsed / (done - start.done) : undefined;
      const eta = pace === undefined ? undefined : pace * (total - done);
      const text = `${label} ${done}/${total} ${Math.floor(fraction * 100)}%${eta === undefined ? '' : ` eta ${Math.ceil(eta)}s`}${detail ? ` ${detail}` : ''}`;
      if (stream.isTTY) {
        const now = Date.now();
        if (done < total && now - lastDraw < 100) return;
        lastDraw = now;
        const width = 24;
        const filled = Math.round(fraction * width);
        const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`;
        stream.write(`\r${fitLine(line, stream.columns)}\u001b[K`);
        drawn = true;
      } else {
        const decile = Math.floor(fraction * 10);
        const now = Date.now();
        if (decile !== lastDecile || now - lastLine >= lineEvery) {
          lastDecile = decile;
          lastLine = now;
          stream.write(`${text}\n`);
        }
      }
    },
    finish() {
      if (drawn) stream.write('\n');
    },
    clear() {
      // the bar's line emptied, for a line of its own to take its place (a terminal only draws one)
      if (drawn) stream.write('\r\u001b[K');
      drawn = false;
      start = undefined;
    },
  };
}
