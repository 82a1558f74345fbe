// Small helpers every benchmark prints with.

/** The middle value (upper middle for an even count). */
export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** One line of benchmark output on stdout. */
export const line = (text: string) => process.stdout.write(text + '\n');

/** Runs `step` once to warm up, then `repeats` times timed: the median seconds and the last result. */
export function timed<Result>(step: () => Result, repeats: number): { seconds: number; result: Result } {
  let result = step();
  const seconds: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    result = step();
    seconds.push((performance.now() - start) / 1000);
  }
  return { seconds: median(seconds), result };
}
