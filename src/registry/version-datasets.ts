// The data versions were made from, split by split: for `registry diff` (a re-tune on corrected data
// holds the same prompt settings and another training set, which a diff of contents alone calls "no
// differences"), `registry show`, and the loop's dry run (made from the latest dataset version?). Each version's lineage names its splits' datasets (`run.datasets`, ids putDataset gave);
// their rows, and the dataset version that holds them, are read from the registry.
import type { DatasetVersion } from './dataset-versions.js';
import type { PromptVersion, Registry } from './registry.js';

/** The dataset id of each split a version's lineage names; none when it names none. */
function datasetsOf(version: Pick<PromptVersion, 'run'>): Record<string, string> {
  const datasets = (version.run as { datasets?: unknown } | null | undefined)?.datasets;
  if (typeof datasets !== 'object' || datasets === null) return {};
  return Object.fromEntries(
    Object.entries(datasets).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

/** Whether a dataset version's splits are exactly `datasets`: each of them, none more, and some. */
function holdsExactly(splits: Record<string, string>, datasets: Record<string, string>): boolean {
  const names = Object.keys(datasets);
  return (
    names.length > 0 &&
    Object.keys(splits).length === names.length &&
    names.every((name) => splits[name] === datasets[name])
  );
}

/** The number of the first dataset version holding each file (later ones may keep it unchanged). */
function firstVersionOfFiles(versions: DatasetVersion[]): Map<string, number> {
  const first = new Map<string, number>();
  for (const version of versions)
    for (const id of Object.values(version.splits)) if (!first.has(id)) first.set(id, version.number);
  return first;
}

const splitOrder = ['train', 'dev', 'test'];
const bySplit = (left: string, right: string) =>
  (splitOrder.indexOf(left) + 1 || 99) - (splitOrder.indexOf(right) + 1 || 99) || left.localeCompare(right);

/**
 * Lines removed (-) and added (+) for each split whose data differs between `a` and `b` (under
 * `@@ datasets`): its rows and the task's dataset version holding it; none when every split is the same.
 */
export async function diffVersionDatasets(
  registry: Registry,
  a: Pick<PromptVersion, 'task' | 'run'>,
  b: Pick<PromptVersion, 'task' | 'run'>,
): Promise<string[]> {
  const [before, after] = [datasetsOf(a), datasetsOf(b)];
  const splits = [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((split) => before[split] !== after[split])
    .sort(bySplit);
  if (!splits.length) return [];
  const described = new Map<string, string>();
  for (const task of new Set([a.task, b.task])) {
    const rows = new Map((await registry.listDatasets(task)).map((dataset) => [dataset.id, dataset.rows]));
    // the first dataset version holding a split's file names it
    const numbers = firstVersionOfFiles(await registry.datasetVersions.list(task));
    for (const id of [...Object.values(before), ...Object.values(after)]) {
      const count = rows.get(id);
      if (count === undefined || described.has(id)) continue;
      const number = numbers.get(id);
      described.set(id, `${count} rows${number === undefined ? '' : `, dataset version ${number}`}`);
    }
  }
  const line = (sign: string, split: string, id: string | undefined) =>
    id === undefined
      ? []
      : [`${sign} ${split}: ${described.get(id) ?? `a file not stored (${id.slice(0, 12)})`}`];
  return [
    '@@ datasets',
    ...splits.flatMap((split) => [...line('-', split, before[split]), ...line('+', split, after[split])]),
  ];
}

/**
 * The data a version was made from, as `registry show` says it: the dataset version whose splits are
 * exactly the version's (`dataset version 4 (review:gender-review): train 674 rows, dev 166 rows, test
 * 256 rows`), else each split with the first dataset version that holds its file; undefined when its
 * lineage names no data.
 */
export async function describeVersionDatasets(
  registry: Registry,
  version: Pick<PromptVersion, 'task' | 'run'>,
): Promise<string | undefined> {
  const datasets = datasetsOf(version);
  const splits = Object.keys(datasets).sort(bySplit);
  if (!splits.length) return undefined;
  const rows = new Map(
    (await registry.listDatasets(version.task)).map((dataset) => [dataset.id, dataset.rows]),
  );
  const versions = await registry.datasetVersions.list(version.task);
  const rowsOf = (split: string) => {
    const count = rows.get(datasets[split]);
    return count === undefined
      ? `${split}: a file not stored (${datasets[split].slice(0, 12)})`
      : `${split} ${count} rows`;
  };
  const whole = versions.find((candidate) => holdsExactly(candidate.splits, datasets));
  if (whole) return `dataset version ${whole.number} (${whole.source}): ${splits.map(rowsOf).join(', ')}`;
  const first = firstVersionOfFiles(versions);
  return splits
    .map((split) => {
      const number = first.get(datasets[split]);
      return `${rowsOf(split)}${number === undefined ? '' : ` (dataset version ${number})`}`;
    })
    .join(', ');
}

/**
 * The number of the task's latest dataset version when `version` was made from exactly its splits (a
 * re-tune on it, with the same settings, makes the same version again); undefined otherwise.
 */
export async function madeFromLatestDatasetVersion(
  registry: Registry,
  version: Pick<PromptVersion, 'task' | 'run'>,
): Promise<number | undefined> {
  const latest = (await registry.datasetVersions.list(version.task)).at(-1);
  return latest && holdsExactly(latest.splits, datasetsOf(version)) ? latest.number : undefined;
}
