// The review screen's keys: letters decide, digits score, and nothing fires while the reviewer types,
// except sending or dropping an open correction.
import { describe, expect, it } from 'vitest';
import { reviewAction, type ReviewKeyPress } from './review-keys';

const press = (key: string, options: Partial<ReviewKeyPress> = {}): ReviewKeyPress => ({
  key,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  typing: false,
  editing: false,
  ...options,
});

describe('reviewAction', () => {
  it.each([
    ['a', 'approve'],
    ['A', 'approve'],
    ['r', 'reject'],
    ['s', 'skip'],
    ['c', 'edit'],
    ['e', 'edit'],
  ])('maps %s to %s', (key, kind) => {
    expect(reviewAction(press(key))).toEqual({ kind });
  });

  it('scores with the digits 1 to 9, not 0', () => {
    expect(reviewAction(press('4'))).toEqual({ kind: 'score', value: 4 });
    expect(reviewAction(press('0'))).toBeUndefined();
  });

  it('leaves letters alone while typing, with a modifier, or in the editor', () => {
    expect(reviewAction(press('a', { typing: true }))).toBeUndefined();
    expect(reviewAction(press('a', { ctrlKey: true }))).toBeUndefined();
    expect(reviewAction(press('r', { metaKey: true }))).toBeUndefined();
    expect(reviewAction(press('a', { editing: true, typing: true }))).toBeUndefined();
    expect(reviewAction(press('3', { editing: true }))).toBeUndefined();
    expect(reviewAction(press('x'))).toBeUndefined();
  });

  it('sends the correction with Ctrl+Enter or ⌘+Enter and drops it with Escape, even while typing', () => {
    expect(reviewAction(press('Enter', { editing: true, typing: true, ctrlKey: true }))).toEqual({
      kind: 'submit',
    });
    expect(reviewAction(press('Enter', { editing: true, typing: true, metaKey: true }))).toEqual({
      kind: 'submit',
    });
    expect(reviewAction(press('Enter', { editing: true, typing: true }))).toBeUndefined();
    expect(reviewAction(press('Escape', { editing: true, typing: true }))).toEqual({ kind: 'cancel' });
    expect(reviewAction(press('Enter', { ctrlKey: true }))).toBeUndefined();
  });
});
