// Turns a growing list of generated ids into text deltas safe to show. Decodes incrementally: only the
// ids since the last settled point, after a few ids of context (so leading spaces survive), and settles
// text once it ends in a whole character; the cost per id stays flat however long prompt and output
// are. Holds back any tail that could still become a stop string, and cuts at the first stop string.
import type { Tokenizer } from './tokenizers/types.js';

/** Prompt ids kept as context for decoding the first output ids. */
const CONTEXT_IDS = 6;

/** Incremental decoder for one generated sequence. */
export class TextStream {
  /** The prompt's last ids, then every output id seen so far. */
  private readonly ids: number[];
  private readonly contextLength: number;
  /** ids[settledFrom..settledTo) decode to the end of `decoded`; ids from settledTo on are pending. */
  private settledFrom = 0;
  private settledTo: number;
  private settledText: string | undefined;
  /** All output text decoded so far (before any stop cut). */
  private decoded = '';
  private emitted = 0;
  private readonly longestStop: number;
  /** The text so far, cut at a stop string once one appears. */
  text = '';
  /** The stop string that ended the text, if any. */
  stoppedBy: string | undefined;

  constructor(
    private readonly tokenizer: Tokenizer,
    prompt: number[],
    private readonly stop: string[] = [],
  ) {
    this.ids = prompt.slice(Math.max(0, prompt.length - CONTEXT_IDS));
    this.contextLength = this.ids.length;
    this.settledTo = this.ids.length;
    this.longestStop = Math.max(0, ...stop.map((text) => text.length));
  }

  /** Updates with all generated ids so far; returns the new text that can be shown. */
  push(generated: number[], final = false): string {
    if (this.stoppedBy !== undefined) return '';
    for (let index = this.ids.length - this.contextLength; index < generated.length; index++)
      this.ids.push(generated[index]);
    const searchFrom = Math.max(0, this.decoded.length - this.longestStop + 1);
    this.decodePending(final);
    this.text = this.decoded;
    let safe = this.decoded.length;
    const stopAt = this.firstStop(searchFrom);
    if (stopAt) {
      this.text = this.decoded.slice(0, stopAt.at);
      this.stoppedBy = stopAt.stop;
      safe = stopAt.at;
    } else if (!final) {
      safe -= this.stopPrefixAtEnd();
    }
    if (safe <= this.emitted) return '';
    const delta = this.text.slice(this.emitted, safe);
    this.emitted = safe;
    return delta;
  }

  /** Appends the pending ids' text once it ends in a whole character (or at the end, as it is). */
  private decodePending(final: boolean): void {
    if (this.ids.length === this.settledTo) return;
    this.settledText ??= this.tokenizer.decode(this.ids.slice(this.settledFrom, this.settledTo));
    const current = this.tokenizer.decode(this.ids.slice(this.settledFrom));
    if (current.endsWith('\uFFFD') && !final) return; // an unfinished UTF-8 sequence: wait for more ids
    // the first output ids are decoded after the prompt's last ones; if that shifts the prompt's own
    // text (a merge across the boundary), decode them on their own instead
    const piece = current.startsWith(this.settledText)
      ? current.slice(this.settledText.length)
      : this.tokenizer.decode(this.ids.slice(this.settledTo));
    this.decoded += piece;
    this.settledFrom = this.settledTo;
    this.settledTo = this.ids.length;
    this.settledText = undefined;
  }

  /** The earliest stop string in the decoded text at or after `from` (text before was checked). */
  private firstStop(from: number): { at: number; stop: string } | undefined {
    let first: { at: number; stop: string } | undefined;
    for (const stop of this.stop) {
      if (stop.length === 0) continue;
      const at = this.decoded.indexOf(stop, from);
      if (at >= 0 && (!first || at < first.at)) first = { at, stop };
    }
    return first;
  }

  /** Length of the longest end of the decoded text that is the start of a stop string. */
  private stopPrefixAtEnd(): number {
    let longest = 0;
    for (const stop of this.stop)
      for (let keep = Math.min(stop.length - 1, this.decoded.length); keep > longest; keep--)
        if (this.decoded.endsWith(stop.slice(0, keep))) {
          longest = keep;
          break;
        }
    return longest;
  }
}
