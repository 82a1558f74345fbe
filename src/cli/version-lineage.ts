// Where a version came from, as `registry show` says it: the run that made it (and the loop iteration
// that ran it, with how that ended), its parent by number, the dataset version it was trained on, and
// the canaries it was the treatment of. Reads only; the raw lineage record is printed beside it, unchanged.
import { unlessNotFound } from '../errors/index.js';
import {
  describeVersionDatasets,
  type PromptVersion,
  type Registry,
  type RunRecord,
} from '../registry/index.js';
import { versionNumbers, versionText } from './version-numbers.js';

/**
 * The recorded run (a training or an optimization pushed with --push) that made `version`, if any: the
 * first one, since a later run of the same data and settings (a loop iteration that re-tuned to the very
 * version production serves, ending `unchanged`) names the version too, without having made it. Read by
 * version, however many runs the task has.
 */
async function makingRun(registry: Registry, version: PromptVersion): Promise<RunRecord | undefined> {
  let first: RunRecord | undefined;
  for (const kind of ['soft-training', 'optimization'] as const) {
    let after: string | undefined;
    do {
      const page = await registry.runs.list(
        { task: version.task, kind, version: version.id },
        { limit: 200, after },
      );
      for (const run of page.data) if (!first || run.startedAt < first.startedAt) first = run;
      after = page.next;
    } while (after);
  }
  return first;
}

/** How a loop iteration ended (`gate-failed: the gate refused the candidate`), once it has. */
async function loopOutcome(registry: Registry, id: string): Promise<string | undefined> {
  const loop = await unlessNotFound(registry.runs.get(id));
  const summary = loop?.summary as { outcome?: unknown; reason?: unknown } | null | undefined;
  if (typeof summary?.outcome !== 'string') return undefined;
  return `${summary.outcome}${typeof summary.reason === 'string' ? `: ${summary.reason}` : ''}`;
}

/**
 * How the loop iterations that made a task's versions ended, by version id (`gate-failed`,
 * `rolled-back`, `promoted`…): the versions table marks candidates the gate or a canary turned away,
 * which had taken a `registry show` per version. An iteration that ended `unchanged` made no version
 * (it names the one production already served) and marks none; of several naming one version, the latest.
 */
export async function loopOutcomesByVersion(registry: Registry, task: string): Promise<Map<string, string>> {
  const outcomes = new Map<string, string>();
  let after: string | undefined;
  do {
    // newest first: the first iteration seen for a version is its latest
    const page = await registry.runs.list({ task, kind: 'loop' }, { limit: 200, after });
    for (const run of page.data) {
      const outcome = (run.summary as { outcome?: unknown } | null | undefined)?.outcome;
      if (run.version && typeof outcome === 'string' && outcome !== 'unchanged' && !outcomes.has(run.version))
        outcomes.set(run.version, outcome);
    }
    after = page.next;
  } while (after);
  return outcomes;
}

/** `made by`, `loop outcome`, `parent`, `datasets` and `canary` lines of a version; none that its record cannot name. */
export async function lineageLines(registry: Registry, version: PromptVersion): Promise<string[]> {
  const lines: string[] = [];
  const run = await makingRun(registry, version);
  if (run) {
    const loop = typeof run.config.loop === 'string' ? run.config.loop : undefined;
    lines.push(`made by: ${run.id} (${run.kind}${loop ? `, in loop iteration ${loop}` : ''})`);
    const outcome = loop ? await loopOutcome(registry, loop) : undefined;
    if (outcome) lines.push(`loop outcome: ${outcome}`);
  }
  // the task's version numbers, read once for the parent and the canaries' controls
  const numbers = await versionNumbers(registry, [version.task]);
  if (version.parent) {
    const parent = numbers.get(version.parent);
    lines.push(`parent: ${parent === undefined ? '' : `@${parent} `}(${version.parent.slice(0, 12)})`);
  }
  const datasets = await describeVersionDatasets(registry, version);
  if (datasets) lines.push(`datasets: ${datasets}`);
  // a candidate's canaries: promoted, rolled back or stopped, and on what
  for (const experiment of await registry.experiments.list({ task: version.task, limit: 1000 }))
    if (experiment.treatment === version.id)
      lines.push(
        `canary: ${experiment.id} against ${versionText(experiment.control, numbers)} on ${experiment.label}, ${experiment.status}: ${experiment.reason}`,
      );
  return lines;
}
