// Controls the list pages share: a text filter applied on Enter (or on leaving the field), and paging
// by the service's cursors (newer goes back to the cursor before, older follows the page's `next`),
// both following the address: a filter changed by navigation shows in the field and starts at page 1.
import { useState } from 'react';

/** A text filter named `name`, applied when Enter is pressed or the field is left. */
export function FilterInput(props: {
  name: string;
  value: string | undefined;
  onCommit: (value: string) => void;
}) {
  // a new value from the address (navigation, Back) starts the field over
  return <FilterField key={props.value ?? ''} {...props} />;
}

function FilterField({
  name,
  value,
  onCommit,
}: {
  name: string;
  value: string | undefined;
  onCommit: (value: string) => void;
}) {
  const commit = (text: string) => {
    if (text !== (value ?? '')) onCommit(text);
  };
  return (
    <input
      placeholder={name}
      aria-label={name}
      defaultValue={value}
      onKeyDown={(event) => event.key === 'Enter' && commit(event.currentTarget.value)}
      onBlur={(event) => commit(event.currentTarget.value)}
    />
  );
}

/**
 * The cursors walked so far for the list `filter` describes (a new filter starts from the first page):
 * `after` is the current page's cursor.
 */
export function useCursors(filter: string) {
  const [state, setState] = useState<{ filter: string; cursors: string[] }>({ filter, cursors: [] });
  const cursors = state.filter === filter ? state.cursors : [];
  const set = (next: string[]) => setState({ filter, cursors: next });
  return {
    after: cursors[cursors.length - 1],
    page: cursors.length + 1,
    first: cursors.length === 0,
    newer: () => set(cursors.slice(0, -1)),
    older: (next: string | number) => set([...cursors, String(next)]),
  };
}

/** Newer and Older buttons over `useCursors`, with the page number. */
export function CursorPager({
  cursors,
  next,
}: {
  cursors: ReturnType<typeof useCursors>;
  next: string | number | undefined;
}) {
  return (
    <div className="pager">
      <button disabled={cursors.first} onClick={cursors.newer}>
        Newer
      </button>
      <span className="muted">page {cursors.page}</span>
      <button
        disabled={next === undefined || next === null || next === ''}
        onClick={() => cursors.older(next!)}
      >
        Older
      </button>
    </div>
  );
}
