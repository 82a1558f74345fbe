// Download progress on stderr for hf: models: a live percentage on a terminal, one line per finished
// file otherwise (so logs stay readable). stdout is never touched.

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
      stream.write(
        `\rdownloading ${file} ${String(percent).padStart(3)}% ${megabytes(done)} of ${megabytes(total)}${finished ? '\n' : ''}`,
      );
    } else if (finished) {
      stream.write(`downloaded ${file} (${megabytes(total)})\n`);
    }
  };
}
