// Which recorded audits of a version the audit policy counts: of each configuration (the audit's
// options, the spec it measured with, its seed, split, size and data) the latest, so a later audit
// supersedes only the same audit run again and a milder one cannot hide a failing one; only audits of
// the data the version was made from, measured with the spec it serves with, and not retired by an admin.
import type { RecordedAudit } from '../audit/index.js';
import type { PromptVersion } from './records.js';
import type { RunRecord, RunStore } from './runs.js';

type AuditKind = 'bias' | 'sensitivity';

/** What was recorded only from this release on: audits recorded before it lack them. */
const recordedSince = ['specId', 'seed', 'setContents'];

/**
 * A configuration as a key. Not where the spec file or the model was named from (a path, a port): the
 * policy binds no model, and a failing audit must stay supersedable by running it again from elsewhere.
 * Lists of names compare as sets.
 */
function configurationKey(run: RunRecord, omit: string[] = []): string {
  const skipped = new Set(['taskFile', 'subject', 'traces', 'model', ...omit]);
  const config = Object.entries(run.config)
    .filter(([name]) => !skipped.has(name))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => [
      name,
      Array.isArray(value) && value.every((each) => typeof each === 'string') ? [...value].sort() : value,
    ]);
  return JSON.stringify([config, [...run.datasets].sort()]);
}

/**
 * The audits of `version` that count, by kind, and those left out for their data or their spec. An
 * audit recorded before configurations held the spec and seed is superseded by any later one of the same
 * options, so it does not block a version for ever.
 */
export async function countedAudits(
  source: { runs: RunStore },
  version: PromptVersion,
): Promise<{
  audits: Record<AuditKind, RecordedAudit[]>;
  otherData: string[];
  otherSpec: string[];
  retired: string[];
}> {
  const lineage = Object.values(
    (version.run as { datasets?: Record<string, string> } | undefined)?.datasets ?? {},
  );
  const otherData: string[] = [];
  const otherSpec: string[] = [];
  const retired: string[] = [];
  const candidates: { run: RunRecord; kind: AuditKind; finishedAt: number }[] = [];
  let after: string | undefined;
  do {
    const page = await source.runs.list(
      { task: version.task, kind: 'audit', status: 'completed' },
      { after },
    );
    for (const run of page.data) {
      const kind = run.config.audit;
      if (run.version !== version.id || (kind !== 'bias' && kind !== 'sensitivity')) continue;
      // set aside by an admin: it neither counts nor supersedes (a run of its configuration before it counts)
      if (run.retired) retired.push(`${run.id} (by ${run.retired.actor}: ${run.retired.reason})`);
      else if (lineage.length > 0 && !run.datasets.some((id) => lineage.includes(id))) otherData.push(run.id);
      // measured with another spec than the version serves with (other metrics, another output reading)
      else if (typeof run.config.specId === 'string' && run.config.specId !== version.specId)
        otherSpec.push(run.id);
      else candidates.push({ run, kind, finishedAt: run.finishedAt ?? run.startedAt });
    }
    after = page.next;
  } while (after);
  const latest = new Map<string, (typeof candidates)[number]>();
  for (const candidate of candidates) {
    const key = configurationKey(candidate.run);
    if ((latest.get(key)?.finishedAt ?? -Infinity) < candidate.finishedAt) latest.set(key, candidate);
  }
  const audits: Record<AuditKind, RecordedAudit[]> = { bias: [], sensitivity: [] };
  for (const { run, kind, finishedAt } of latest.values()) {
    const older = run.config.specId === undefined;
    const superseded =
      older &&
      candidates.some(
        (other) =>
          other.finishedAt > finishedAt &&
          configurationKey(other.run, recordedSince) === configurationKey(run, recordedSince),
      );
    if (!superseded) audits[kind].push({ id: run.id, summary: run.summary ?? {} });
  }
  return { audits, otherData, otherSpec, retired };
}
