// Small helpers every benchmark prints with.

/** The middle value (upper middle for an even count). */
export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** One line of benchmark output on stdout. */
export const line = (text: string) => process.stdout.write(text + '\n');
