// How inputs are compared when the dataset's rows and a queue's items are matched: text fields composed
// (NFC) and with their whitespace trimmed and runs of it made one space, so an input sent again with a
// trailing newline, or with "é" spelt as e + U+0301 (as macOS and some keyboards send it), is the same input.
import { canonicalJson } from '../registry/index.js';

/**
 * An input as the dataset's rows are compared: its fields with each text composed (NFC), its whitespace
 * trimmed and runs of it made one space, so a test input sent again with a trailing newline or doubled spaces is the same
 * input (a duplicate, or a conflict when its target differs), not a new train row leaking the test set.
 */
export function inputKey(fields: Record<string, unknown>): string {
  return canonicalJson(
    Object.fromEntries(
      Object.entries(fields).map(([field, value]) => [
        field,
        typeof value === 'string' ? value.normalize('NFC').replace(/\s+/g, ' ').trim() : value,
      ]),
    ),
  );
}
