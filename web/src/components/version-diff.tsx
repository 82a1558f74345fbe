// Two versions diffed section by section: the prompt (or adapter) and the spec each serves with, so a
// version that only adds a guard or changes the output is not "no difference".
import { useServingSpec } from '../serving-spec';
import type { Version } from '../types';
import { versionSections } from '../version-text';
import { SectionDiffView } from './diff-view';

/** The diff panel of versions `a` → `b`. */
export function VersionDiff({ a, b }: { a: Version; b: Version }) {
  const before = useServingSpec(a);
  const after = useServingSpec(b);
  return (
    <section className="panel" data-testid="diff">
      <h2>
        v{a.number} → v{b.number}
      </h2>
      <SectionDiffView before={versionSections(a, before)} after={versionSections(b, after)} />
    </section>
  );
}
