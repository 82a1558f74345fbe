// Short run ids as the dashboard shows them: a loop's step runs keep the step their id names.
import { describe, expect, it } from 'vitest';
import { shortRunId } from './format';

describe('shortRunId', () => {
  it("keeps a run id's random part, and a loop step's name after it", () => {
    expect(shortRunId('run-1796505123456-28733f')).toBe('28733f');
    expect(shortRunId('run-1796505123456-28733f.retune.1')).toBe('28733f.retune.1');
    expect(shortRunId('run-1796505123456-28733f.gate-candidate.2')).toBe('28733f.gate-candidate.2');
    expect(shortRunId('imported-run')).toBe('imported');
  });
});
