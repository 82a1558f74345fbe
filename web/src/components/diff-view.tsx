// Two texts' word diff, removed words struck through in red and added ones in green.
import { wordDiff } from '../word-diff';

/** The word diff of `before` and `after`. */
export function DiffView({ before, after }: { before: string; after: string }) {
  const parts = wordDiff(before, after);
  if (parts.every((part) => part.kind === 'same')) return <p className="muted">No difference.</p>;
  return (
    <pre className="diff">
      {parts.map((part, index) =>
        part.kind === 'same' ? (
          <span key={index}>{part.text}</span>
        ) : part.kind === 'removed' ? (
          <del key={index}>{part.text}</del>
        ) : (
          <ins key={index}>{part.text}</ins>
        ),
      )}
    </pre>
  );
}
