import { describe, expect, it } from 'vitest';
import { unseen } from './commands/job.js';

describe('following a job log', () => {
  it('prints the first output, what came since, and all of a log whose tail moved past what was shown', () => {
    expect(unseen('', 'step 1\n')).toBe('step 1\n');
    expect(unseen('step 1\n', 'step 1\nstep 2\n')).toBe('step 2\n');
    expect(unseen('step 1\n', 'step 1\n')).toBe('');
    // the log kept only its tail: what was shown is found by its last 200 characters
    const shown = `${'a'.repeat(300)}${'b'.repeat(250)}`;
    expect(unseen(shown, `${'a'.repeat(100)}${'b'.repeat(250)}new\n`)).toBe('new\n');
    // more came than the tail keeps: all of it is new
    expect(unseen(shown, 'c'.repeat(400))).toBe('c'.repeat(400));
  });
});
