// "Did you mean": a typo's nearest name, and none for a short name that shares nothing with it.
import { describe, expect, it } from 'vitest';
import { editDistance, nearestName } from './nearest-name.js';

describe('nearestName', () => {
  it('names the nearest of a typo, within two edits or a third of its length', () => {
    expect(nearestName('serv', ['serve', 'soft'])).toBe('serve');
    expect(nearestName('bais', ['bias', 'sensitivity'])).toBe('bias');
    expect(nearestName('max-token', ['max-tokens', 'model'])).toBe('max-tokens');
    expect(nearestName('nothing-like-a-command', ['serve', 'soft'])).toBeUndefined();
  });

  it('names none where every letter of a short name would change (--lr is no typo of --db)', () => {
    expect(nearestName('lr', ['db', 'json'])).toBeUndefined();
    expect(nearestName('db', ['lr'])).toBeUndefined();
    expect(nearestName('dv', ['db'])).toBe('db');
    // two letters swapped are one edit
    expect(nearestName('rl', ['lr', 'db'])).toBe('lr');
    expect(nearestName('bd', ['db'])).toBe('db');
    expect(editDistance('bais', 'bias')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});
