// What soft train says about a finished run's checkpoints: nothing for a soft prompt's kilobytes, their
// size (the run's and its search trials') when they are large enough to matter.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkpointBytes, checkpointNote, peftLayoutNote } from './soft-training.js';

describe('checkpointNote', () => {
  it("counts the run's checkpoint files and its search trials', and speaks only past 10 MB", () => {
    const out = mkdtempSync(join(tmpdir(), 'promptune-checkpoints-'));
    writeFileSync(join(out, 'checkpoint-4-0a1b2c3d.bin'), Buffer.alloc(6 * 2 ** 20));
    writeFileSync(join(out, 'model.gguf'), Buffer.alloc(2 ** 20)); // not a checkpoint
    writeFileSync(join(out, 'checkpoint-4-0a1b2c3d.bin.1.tmp'), Buffer.alloc(2 ** 20)); // a torn write
    expect(checkpointBytes(out)).toBe(6 * 2 ** 20);
    expect(checkpointNote(out, 'model')).toBe('');
    mkdirSync(join(out, 'search', 'lr-0.3'), { recursive: true });
    writeFileSync(join(out, 'search', 'lr-0.3', 'checkpoint-2-00ff00ff.bin'), Buffer.alloc(6 * 2 ** 20));
    expect(checkpointBytes(out)).toBe(12 * 2 ** 20);
    expect(checkpointNote(out, 'model')).toBe(
      `${out} keeps 12 MB of checkpoints (checkpoint-*.bin, and its search trials in search/): the same command continues the run, scores it again or pushes it from them; once it is final (and pushed), they can be deleted: soft eval and generate read the model beside them\n`,
    );
    expect(checkpointBytes(join(out, 'missing'))).toBe(0);
  });
});

describe('peftLayoutNote', () => {
  it('says what to train again for a layout PEFT runs otherwise: the run, or the source a prompt was transferred from', () => {
    expect(peftLayoutNote('peft', 1)).toBe('');
    expect(peftLayoutNote('bos-first', undefined)).toBe('');
    expect(peftLayoutNote('bos-first', 1)).toContain('; train with --layout peft for an adapter PEFT runs');
    // soft train refuses --layout beside --source (trial AE: the note told it to give one)
    expect(peftLayoutNote('bos-first', 1, 'shared-prompt')).toContain(
      "; its layout is its --source's (shared-prompt): train that with soft train-multitask --layout peft for an adapter PEFT runs",
    );
  });
});
