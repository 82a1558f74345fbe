// Progress lines on a terminal are redrawn in place with "\r": each must fit the terminal's width, or it
// wraps and every redraw leaves a line behind. A fake stream stands in for the terminal.
import { describe, expect, it, vi } from 'vitest';
import { downloadProgress, fitLine, progressBar } from './progress.js';

/** A terminal `columns` wide that records what is written. */
function terminal(columns: number | undefined) {
  const written: string[] = [];
  const stream = { isTTY: true, columns, write: (text: string) => written.push(text) > 0 };
  return { stream: stream as unknown as NodeJS.WriteStream, written };
}

/** The visible rows of what was written (redraws and control sequences removed). */
const rows = (written: string[]) =>
  written
    .join('')
    .split(/[\r\n]/)
    .map((row) => row.replaceAll('\u001b[K', ''))
    .filter(Boolean);

describe('progress lines', () => {
  it.each([10, 24, 40, 80])('fit a terminal %i columns wide', (columns) => {
    const { stream, written } = terminal(columns);
    const bar = progressBar('animal on local:/models/stories260K/stories260K.gguf', stream);
    bar.update(3, 768);
    bar.update(768, 768);
    bar.finish();
    const download = downloadProgress(stream);
    download('stories260K/model-00001-of-00002.safetensors', 5e6, 1e7);
    download('stories260K/model-00001-of-00002.safetensors', 1e7, 1e7);
    const drawn = rows(written);
    expect(drawn.length).toBeGreaterThanOrEqual(4);
    for (const row of drawn) expect(row.length).toBeLessThan(columns);
    expect(drawn[0].startsWith('[')).toBe(true);
    expect(drawn.at(-1)!.startsWith('downloading'.slice(0, columns - 1))).toBe(true);
  });

  it('clear their line for a line of their own, and start over after', () => {
    const { stream, written } = terminal(80);
    const bar = progressBar('trial 1: calls', stream);
    bar.update(64, 128);
    bar.clear();
    stream.write('trial 1: 2 demos: 0.750\n');
    bar.clear(); // nothing drawn since: nothing to clear
    expect(written.join('')).toContain(
      `trial 1: calls 64/128 50%\u001b[K\r\u001b[Ktrial 1: 2 demos: 0.750\n`,
    );
    expect(written.join('').endsWith('0.750\n')).toBe(true);
  });

  it('stay whole where the width is unknown or wide enough', () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const { stream, written } = terminal(undefined);
      const bar = progressBar('eval', stream);
      bar.update(0, 2);
      vi.advanceTimersByTime(3_000); // a redraw comes at most every 100 ms
      bar.update(1, 2);
      expect(rows(written).at(-1)).toBe('[############............] eval 1/2 50% eta 3s');
    } finally {
      vi.useRealTimers();
    }
  });

  it('time the rest by the pace of the current count: a resumed run, then a count that starts over', () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const { stream, written } = terminal(80);
      Object.assign(stream, { isTTY: false });
      const bar = progressBar('trial', stream);
      bar.update(100, 200); // resumed at step 100: no pace yet
      vi.advanceTimersByTime(20_000);
      bar.update(120, 200); // 1 s a step since the resume, not 0.17 s
      vi.advanceTimersByTime(600_000);
      bar.update(1, 200); // the next trial: its own pace
      vi.advanceTimersByTime(4_000);
      bar.update(21, 200);
      expect(rows(written)).toEqual([
        'trial 100/200 50%',
        'trial 120/200 60% eta 80s',
        'trial 1/200 0%',
        'trial 21/200 10% eta 36s',
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('writes a log line at least every 30 s, between its lines per 10%', () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const { stream, written } = terminal(80);
      Object.assign(stream, { isTTY: false });
      const bar = progressBar('step', stream);
      bar.update(0, 1000);
      vi.advanceTimersByTime(10_000);
      bar.update(10, 1000); // 10 s on, in the same tenth: no line
      vi.advanceTimersByTime(20_000);
      bar.update(20, 1000); // 30 s since the last line
      vi.advanceTimersByTime(5_000);
      bar.update(21, 1000);
      bar.update(100, 1000); // the next tenth
      expect(rows(written)).toEqual([
        'step 0/1000 0%',
        'step 20/1000 2% eta 1470s',
        'step 100/1000 10% eta 315s',
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it.each([
    ['short', 80, 'short'],
    ['exactly nine', 10, 'exactly n'],
    ['a😀b', 3, 'a😀'], // characters, not UTF-16 units: a surrogate pair is never split
    ['anything', undefined, 'anything'],
  ] as const)('fitLine(%j, %s) is %j', (text, columns, expected) => {
    expect(fitLine(text, columns)).toBe(expected);
  });
});
