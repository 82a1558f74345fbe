// Two texts' word diff, removed words struck through in red and added ones in green; a text rewritten
// rather than edited as the old one struck through whole, then the new one. A version diff goes section by
// section (method, virtual tokens, …): a section only one version has is removed or added whole.
import { pairSections } from '../section-pairs';
import { isRewrite, wordDiff, type DiffPart } from '../word-diff';

/** The parts of `before` → `after` as shown: a rewrite as all of one, then all of the other. */
function shownParts(before: string, after: string): DiffPart[] {
  const parts = wordDiff(before, after);
  if (!isRewrite(parts)) return parts;
  return [
    ...(before ? [{ kind: 'removed' as const, text: before }] : []),
    ...(before && after ? [{ kind: 'same' as const, text: '\n' }] : []),
    ...(after ? [{ kind: 'added' as const, text: after }] : []),
  ];
}

function Parts({ parts }: { parts: DiffPart[] }) {
  return (
    <>
      {parts.map((part, index) =>
        part.kind === 'same' ? (
          <span key={index}>{part.text}</span>
        ) : part.kind === 'removed' ? (
          <del key={index}>{part.text}</del>
        ) : (
          <ins key={index}>{part.text}</ins>
        ),
      )}
    </>
  );
}

/** The word diff of `before` and `after`. */
export function DiffView({ before, after }: { before: string; after: string }) {
  const parts = shownParts(before, after);
  if (parts.every((part) => part.kind === 'same')) return <p className="muted">No difference.</p>;
  return (
    <pre className="diff">
      <Parts parts={parts} />
    </pre>
  );
}

/** Two versions' sections diffed by title: [title, text] each, in the first's order, then the second's new ones. */
export function SectionDiffView({
  before,
  after,
}: {
  before: [string, string][];
  after: [string, string][];
}) {
  const diffs = pairSections(before, after).map(({ title, before: was, after: is }) => {
    const heading: DiffPart['kind'] = was === undefined ? 'added' : is === undefined ? 'removed' : 'same';
    return { title, heading, parts: shownParts(was ?? '', is ?? '') };
  });
  if (diffs.every((diff) => diff.parts.every((part) => part.kind === 'same')))
    return <p className="muted">No difference.</p>;
  return (
    <pre className="diff">
      {diffs.map(({ title, heading, parts }, index) => (
        <span key={title}>
          {index > 0 && '\n\n'}
          <Parts parts={[{ kind: heading, text: `${title}:` }]} />
          {'\n'}
          <Parts parts={parts} />
        </span>
      ))}
    </pre>
  );
}
