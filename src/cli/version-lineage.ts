// Where a version came from, as `registry show` says it: the run that made it (and the loop iteration
// that ran it), its parent by number, and the dataset version it was trained on. Reads only; the raw
// lineage record is printed beside it, unchanged.
import {
  describeVersionDatasets,
  type PromptVersion,
  type Registry,
  type RunRecord,
} from '../registry/index.js';

/** How many of the task's runs are read back for the one that made a version (newest first). */
const runsRead = 2000;

/** The recorded run (a training or an optimization pushed with --push) that made `version`, if any. */
async function makingRun(registry: Registry, version: PromptVersion): Promise<RunRecord | undefined> {
  for (const kind of ['soft-training', 'optimization'] as const) {
    let after: string | undefined;
    for (let read = 0; read < runsRead;) {
      const page = await registry.runs.list({ task: version.task, kind }, { limit: 200, after });
      const found = page.data.find((run) => run.version === version.id);
      if (found) return found;
      read += page.data.length;
      if (!page.next) break;
      after = page.next;
    }
  }
  return undefined;
}

/** `made by`, `parent` and `datasets` lines of a version; none that its record cannot name. */
export async function lineageLines(registry: Registry, version: PromptVersion): Promise<string[]> {
  const lines: string[] = [];
  const run = await makingRun(registry, version);
  if (run) {
    const loop = typeof run.config.loop === 'string' ? `, in loop iteration ${run.config.loop}` : '';
    lines.push(`made by: ${run.id} (${run.kind}${loop})`);
  }
  if (version.parent) {
    const parent = (await registry.listVersions(version.task)).find((other) => other.id === version.parent);
    lines.push(`parent: ${parent ? `@${parent.number} ` : ''}(${version.parent.slice(0, 12)})`);
  }
  const datasets = await describeVersionDatasets(registry, version);
  if (datasets) lines.push(`datasets: ${datasets}`);
  return lines;
}
