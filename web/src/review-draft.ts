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

/** Whether `value` has a draft's shape (storage is outside the page: another version may have written it). */
function isDraft(value: unknown): value is ReviewDraft {
  if (typeof value !== 'object' || value === null) return false;
  const { item, correction, rubric } = value as Record<string, unknown>;
  const answer = (entry: unknown) => ['number', 'boolean', 'string'].includes(typeof entry);
  return (
    typeof item === 'string' &&
    (correction === undefined || typeof correction === 'string') &&
    typeof rubric === 'object' &&
    rubric !== null &&
    !Array.isArray(rubric) &&
    Object.values(rubric).every(answer)
  );
}

/** The unsent work kept for `item`, if any (another item's, or what is not a draft, is not returned). */
export function loadReviewDraft(item: string): ReviewDraft | undefined {
  try {
    const kept: unknown = JSON.parse(sessionStorage.getItem(storageKey) ?? 'null');
    return isDraft(kept) && kept.item === item ? kept : undefined;
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
