// The review screen's keyboard: which key does what (a for approve, r reject, s skip, c or e to
// correct, Ctrl/⌘+Enter to send a correction, Escape to drop it, 1–9 to score), and the hook that
// listens for them. Letters never fire while the reviewer types in a field or edits a correction;
// it does not decide anything itself, the page does.
import { useEffect, useLayoutEffect, useRef } from 'react';

/** What a key press asks the review screen to do. */
export type ReviewAction =
  { kind: 'approve' | 'reject' | 'skip' | 'edit' | 'submit' | 'cancel' } | { kind: 'score'; value: number };

/** A key press, with where it happened. */
export interface ReviewKeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  /** The focus is in a text field, a select or editable content. */
  typing: boolean;
  /** The correction editor is open. */
  editing: boolean;
}

const letters: Record<string, ReviewAction> = {
  a: { kind: 'approve' },
  r: { kind: 'reject' },
  s: { kind: 'skip' },
  c: { kind: 'edit' },
  e: { kind: 'edit' },
};

/** The legend shown on screen: keys and what they do. */
export const reviewKeyLegend: [string, string][] = [
  ['a', 'approve'],
  ['r', 'reject'],
  ['s', 'skip'],
  ['c / e', 'correct'],
  ['Ctrl+Enter', 'send correction'],
  ['Esc', 'cancel'],
  ['1–9', 'score'],
];

/** The action a key press asks for, if any. */
export function reviewAction(press: ReviewKeyPress): ReviewAction | undefined {
  if (press.editing) {
    if (press.key === 'Enter' && (press.ctrlKey || press.metaKey)) return { kind: 'submit' };
    if (press.key === 'Escape') return { kind: 'cancel' };
    return undefined;
  }
  if (press.typing || press.ctrlKey || press.metaKey || press.altKey) return undefined;
  if (/^[1-9]$/.test(press.key)) return { kind: 'score', value: Number(press.key) };
  return letters[press.key.toLowerCase()];
}

/** Whether `target` takes typed text (so letters there are text, not shortcuts). */
function takesText(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (!(target instanceof HTMLInputElement)) return false;
  return !['button', 'checkbox', 'radio', 'submit', 'reset'].includes(target.type);
}

/**
 * Calls `onAction` for each shortcut pressed anywhere on the page while mounted (the latest
 * `onAction` and `editing`, so callers need not memoize). A key that acts does nothing else: a `c`
 * that opens the editor is not typed into it.
 */
export function useReviewKeys(editing: boolean, onAction: (action: ReviewAction) => void): void {
  const latest = useRef({ editing, onAction });
  useLayoutEffect(() => {
    latest.current = { editing, onAction };
  });
  useEffect(() => {
    const listen = (event: KeyboardEvent) => {
      if (event.repeat || event.isComposing) return;
      const action = reviewAction({
        key: event.key,
        ctrlKey: event.ctrlKey,
        metaKey: event.metaKey,
        altKey: event.altKey,
        typing: takesText(event.target),
        editing: latest.current.editing,
      });
      if (!action) return;
      event.preventDefault();
      latest.current.onAction(action);
    };
    window.addEventListener('keydown', listen);
    return () => window.removeEventListener('keydown', listen);
  }, []);
}
