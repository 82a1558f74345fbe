// What a reviewer has entered on the item on screen and not yet sent (the open correction, the rubric's
// answers), kept in the tab's session storage so a reload, or a crash of the tab's page, hands the same
// reserved item back with the work still in it. One item at a time, by its id; it sends nothing itself.
import type { RubricValue } from './types';

const storageKey = 'promptune.review-draft';

/** The unsent work on one item. */
export interface ReviewDraft {
  item: string;
  /** The open correction, if the editor is open. */
  correction?: string;
  rubric: Record<string, RubricValue>;
}

/** The unsent work kept for `item`, if any (another item's is not returned). */
export function loadReviewDraft(item: string): ReviewDraft | undefined {
  try {
    const kept = JSON.parse(sessionStorage.getItem(storageKey) ?? 'null') as ReviewDraft | null;
    return kept?.item === item ? kept : undefined;
  } catch {
    return undefined; // storage unavailable or unreadable: nothing to restore
  }
}

/** Keeps `draft`, replacing whatever was kept; an empty draft is forgotten. */
export function saveReviewDraft(draft: ReviewDraft): void {
  try {
    if (draft.correction === undefined && Object.keys(draft.rubric).length === 0)
      sessionStorage.removeItem(storageKey);
    else sessionStorage.setItem(storageKey, JSON.stringify(draft));
  } catch {
    // storage full or blocked: the draft lives on screen only, as before
  }
}

/** Forgets the kept draft (its item was decided, or none is on screen). */
export function forgetReviewDraft(): void {
  try {
    sessionStorage.removeItem(storageKey);
  } catch {
    // nothing kept
  }
}
