// Turns a growing list of generated ids into text deltas safe to show: decodes prompt + output
// together (so leading spaces survive), holds back incomplete UTF-8 and any tail that could still
// become a stop string, and cuts the text at the first stop string.
import type { Tokenizer } from './tokenizers/types.js';

/** Incremental decoder for one generated sequence. */
export class TextStream {
  private emitted = 0;
  private readonly prefixText: string;
  /** The text so far, cut at a stop string once one appears. */
  text = '';
  /** The stop string that ended the text, if any. */
  stoppedBy: string | undefined;

  constructor(
    private readonly tokenizer: Tokenizer,
    private readonly prefix: number[],
    private readonly stop: string[] = [],
  ) {
    this.prefixText = tokenizer.decode(prefix);
  }

  /** Updates with all generated ids so far; returns the new text that can be shown. */
  push(generated: number[], final = false): string {
    if (this.stoppedBy !== undefined) return '';
    const full = this.tokenizer.decode([...this.prefix, ...generated]);
    let text = full.startsWith(this.prefixText)
      ? full.slice(this.prefixText.length)
      : this.tokenizer.decode(generated);
    for (const stop of this.stop) {
      const at = text.indexOf(stop);
      if (stop.length > 0 && at >= 0) {
        text = text.slice(0, at);
        this.stoppedBy = stop;
        final = true;
      }
    }
    this.text = text;
    let safe = text.length;
    if (!final) {
      while (safe > 0 && text[safe - 1] === '\uFFFD') safe--;
      const visible = text.slice(0, safe);
      for (const stop of this.stop) {
        for (let keep = Math.min(stop.length - 1, visible.length); keep > 0; keep--) {
          if (visible.endsWith(stop.slice(0, keep))) {
            safe = Math.min(safe, visible.length - keep);
            break;
          }
        }
      }
    }
    if (safe <= this.emitted) return '';
    const delta = text.slice(this.emitted, safe);
    this.emitted = safe;
    return delta;
  }
}
