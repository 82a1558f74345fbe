// The reviewing screen of one queue, built for the keyboard: it takes the next item (reserving it), shows
// its input, output, trace, prompt version and similar past decisions, and sends approve, correct,
// reject or skip (with the rubric's answers) before taking the next at once. The queue list and the
// agreement view are review-queues.tsx's and review-agreement.tsx's.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../api';
import { CorrectionEditor, initialCorrection } from '../components/correction-editor';
import { Empty, ErrorBox, Loading } from '../components/feedback';
import { ItemInput, TracePanel, VersionPanel } from '../components/review-item';
import { ReservationClock } from '../components/reservation-clock';
import { fitsNumeric, RubricControls } from '../components/rubric-controls';
import { ItemDecisions, SimilarDecisions } from '../components/similar-decisions';
import { href } from '../router';
import { forgetReviewDraft, loadReviewDraft, saveReviewDraft } from '../review-draft';
import { reviewKeyLegend, useReviewKeys, type ReviewAction } from '../review-keys';
import type { ReviewDecisionKind, ReviewItemView, ReviewQueue, RubricValue } from '../types';
import { useApi } from '../use-api';
import '../review.css';

const asApiError = (caught: unknown) =>
  caught instanceof ApiError ? caught : new ApiError(String(caught), 0, undefined, undefined);

/** The shortcuts, always on screen. */
function KeyLegend() {
  return (
    <div className="key-legend" aria-label="keyboard shortcuts">
      {reviewKeyLegend.map(([key, what]) => (
        <span key={key}>
          <kbd>{key}</kbd> {what}
        </span>
      ))}
    </div>
  );
}

const decisionButtons: [ReviewDecisionKind, string, string][] = [
  ['approve', 'Approve', 'a'],
  ['correct', 'Correct', 'c'],
  ['reject', 'Reject', 'r'],
  ['skip', 'Skip', 's'],
];

/** The queue's counts in a line: items, fully reviewed, decided by this key. */
function Counts({ queue }: { queue: ReviewQueue | undefined }) {
  if (!queue) return null;
  const { items, reviewed, mine } = queue.progress;
  return (
    <span className="muted" data-testid="queue-counts">
      {items} items · {reviewed} fully reviewed · {mine} decided by you
    </span>
  );
}

/**
 * The reviewing screen of queue `name`; with `disputes` (an admin), the items its reviewers disagree on,
 * each with their decisions, to settle.
 */
export function ReviewPage({ name, disputes = false }: { name: string; disputes?: boolean }) {
  const base = `/v1/review/queues/${encodeURIComponent(name)}`;
  const queue = useApi<ReviewQueue>(base);
  // undefined while the first item loads; null when nothing is left
  const [view, setView] = useState<ReviewItemView | null>();
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const [draft, setDraft] = useState<string>(); // the open correction, if any
  const [rubric, setRubric] = useState<Record<string, RubricValue>>({});
  const [session, setSession] = useState({ decided: 0, skipped: 0 });
  // a second key press while a decision is on its way is dropped, not sent twice
  const working = useRef(false);
  const held = useRef<string | undefined>(undefined); // the item this page reserved, given back when it closes
  const reloadQueue = queue.reload;

  const takeNext = useCallback(async () => {
    const answer = await api<ReviewItemView | { item: null }>(
      `${base}/next${disputes ? '?disputes=1' : ''}`,
      {
        method: 'POST',
      },
    );
    held.current = answer.item?.id;
    // the same item handed back (a reload: the reservation is still this reviewer's) comes with the
    // correction and answers entered on it before
    const kept = answer.item === null ? undefined : loadReviewDraft(answer.item.id);
    setView(answer.item === null ? null : (answer as ReviewItemView));
    setDraft(kept?.correction);
    setRubric(kept?.rubric ?? {});
    reloadQueue();
  }, [base, disputes, reloadQueue]);

  const run = useCallback(async (work: () => Promise<void>) => {
    if (working.current) return;
    working.current = true;
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      working.current = false;
      setBusy(false);
    }
  }, []);

  useEffect(() => {
    void run(takeNext);
  }, [run, takeNext]);
  // what is entered and not yet sent outlives a reload of the tab
  useEffect(() => {
    if (view) saveReviewDraft({ item: view.item.id, correction: draft, rubric });
    else if (view === null) forgetReviewDraft();
  }, [view, draft, rubric]);
  useEffect(
    () => () => {
      const id = held.current;
      if (id)
        void api(`/v1/review/items/${encodeURIComponent(id)}/release`, { method: 'POST' }).catch(
          () => undefined,
        );
    },
    [],
  );

  const decide = (decision: ReviewDecisionKind, correction?: string) =>
    run(async () => {
      if (!view) return;
      const answers = decision === 'skip' ? {} : rubric;
      await api(`/v1/review/items/${encodeURIComponent(view.item.id)}/decision`, {
        method: 'POST',
        body: {
          decision,
          ...(correction !== undefined && { correction }),
          ...(Object.keys(answers).length > 0 && { rubric: answers }),
        },
      });
      setSession((count) =>
        decision === 'skip'
          ? { ...count, skipped: count.skipped + 1 }
          : { ...count, decided: count.decided + 1 },
      );
      await takeNext();
    });

  const setAnswer = (item: string, value: RubricValue | undefined) =>
    setRubric((answers) => {
      const { [item]: _, ...rest } = answers;
      return value === undefined ? rest : { ...rest, [item]: value };
    });

  const act = (action: ReviewAction) => {
    if (!view || working.current) return;
    if (action.kind === 'approve' || action.kind === 'reject' || action.kind === 'skip')
      void decide(action.kind);
    else if (action.kind === 'edit') setDraft(initialCorrection(view));
    else if (action.kind === 'submit' && draft !== undefined) void decide('correct', draft);
    else if (action.kind === 'cancel') setDraft(undefined);
    else if (action.kind === 'score') {
      const scored = queue.data?.rubric.find((item) => item.kind === 'numeric');
      if (scored && fitsNumeric(scored, action.value)) setAnswer(scored.name, action.value);
    }
  };
  useReviewKeys(draft !== undefined, act);

  if (queue.error) return <ErrorBox error={queue.error} />;
  return (
    <>
      <h1>
        {disputes ? 'Settle disagreements in' : 'Review'} {name}{' '}
        {queue.data && <span className="tag">task {queue.data.task}</span>}
      </h1>
      <div className="review-bar">
        <Counts queue={queue.data} />
        <span className="session-count" data-testid="session-count">
          {session.decided} decided this session
          {session.skipped > 0 && ` · ${session.skipped} skipped`}
        </span>
        <span className="review-links">
          <a href={href(['review', name, 'agreement'])}>Agreement</a> ·{' '}
          <a href={href(['review'])}>All queues</a>
        </span>
      </div>
      <KeyLegend />
      {error && <ErrorBox error={error} />}
      {/* the item on screen can no longer be decided here: its reservation lapsed and another took it */}
      {error &&
        ['REVIEW_RESERVED', 'REVIEW_NOT_RESERVED', 'REVIEW_ITEM_NOT_FOUND'].includes(error.code ?? '') && (
          <p>
            <button type="button" onClick={() => void run(takeNext)}>
              Take the next item
            </button>
          </p>
        )}
      {/* the item waits for its queue, so the rubric that digit keys score is on screen with it */}
      {view === undefined || !queue.data ? (
        !error && <Loading />
      ) : view === null ? (
        <Empty title={disputes ? 'No disagreement left to settle' : 'Nothing left to review'}>
          <p>
            {queue.data.progress.items === 0 ? (
              <>
                {name} holds no items yet: <code>promptune review feed {name}</code> queues the served traces
                its rules match (<code>review add</code> takes traces or an evaluation run&apos;s failures).
              </>
            ) : (
              <>Every item of {name} you may take is decided, or reserved by another reviewer.</>
            )}
          </p>
          <p>
            <Counts queue={queue.data} />
          </p>
          <p>
            <a href={href(['review', name, 'agreement'])}>See how reviewers agree</a> or go back to{' '}
            <a href={href(['review'])}>the queues</a>.
          </p>
        </Empty>
      ) : (
        <div className="columns wide-first" data-testid="review-item" data-item={view.item.id}>
          <div>
            <ItemInput input={view.item.input} />
            <section className="panel" data-testid="review-output">
              <h2 className="panel-title">
                Output <span className="tag">queued: {view.item.reason}</span>
                <span className="muted small-title panel-meta">
                  {view.task.output.kind} output · reviews {view.item.reviewsDone}/{view.item.reviewsNeeded}
                </span>
              </h2>
              <ReservationClock until={view.item.reservedUntil} />
              {draft === undefined ? (
                <>
                  <pre className="answer-text">{view.item.output ?? '(no output)'}</pre>
                  {view.task.output.kind === 'text' && view.item.context.finishReason === 'length' ? (
                    <p className="cut-off" data-testid="cut-off">
                      cut off at the token limit: an approval is not written to the dataset; correct it to the
                      answer
                    </p>
                  ) : (
                    view.task.output.kind === 'text' && (
                      <p className="muted" data-testid="approve-writes">
                        Approve writes this whole text as the training target; when only part of it is right
                        (the answer, then more text), correct it to that part.
                      </p>
                    )
                  )}
                </>
              ) : (
                <CorrectionEditor
                  output={view.task.output}
                  draft={draft}
                  busy={busy}
                  onDraft={setDraft}
                  onSubmit={() => void decide('correct', draft)}
                  onCancel={() => setDraft(undefined)}
                />
              )}
            </section>
            <section className="panel">
              <RubricControls rubric={queue.data?.rubric ?? []} values={rubric} onChange={setAnswer} />
              <div className="decisions">
                {decisionButtons.map(([decision, title, key]) => (
                  <button
                    key={decision}
                    type="button"
                    className={`decision decision-${decision}`}
                    disabled={busy}
                    onClick={() =>
                      decision === 'correct' ? setDraft(initialCorrection(view)) : void decide(decision)
                    }
                  >
                    {title} <kbd>{key}</kbd>
                  </button>
                ))}
              </div>
            </section>
          </div>
          <div>
            {/* settling a disagreement: what the reviewers said comes first */}
            {view.decisions && <ItemDecisions decisions={view.decisions} />}
            <TracePanel view={view} />
            <VersionPanel view={view} />
            <SimilarDecisions similar={view.similar} />
          </div>
        </div>
      )}
    </>
  );
}
