// The experiment list names the versions each canary compared, treatment first.
import { describe, expect, it } from 'vitest';
import { armsText, experimentArms } from './experiment-arms';
import type { Experiment } from './types';

const experiment = {
  id: 'exp-1',
  task: 'gender',
  label: 'production',
  treatment: 'c5e2',
  control: '45dd',
} as Experiment;

describe('armsText', () => {
  it('names the treatment, then the control, as the page names versions', () => {
    const numbers = new Map([
      ['c5e2', 5],
      ['45dd', 2],
    ]);
    expect(armsText(experiment, (_task, id) => `v${numbers.get(id ?? '')}`)).toBe('v5 vs v2');
    expect(experimentArms(experiment)).toEqual([
      { task: 'gender', version: 'c5e2' },
      { task: 'gender', version: '45dd' },
    ]);
  });
});
