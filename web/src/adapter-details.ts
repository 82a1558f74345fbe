// What a soft version's page says of its adapter beyond its method's shape: how many parameters its
// training changed and what a service keeps for it, and the rest of promptune.json in words, rounded,
// without what the page shows elsewhere (the method, the task, the exact-match scores).

/** A number as people read it: whole numbers grouped (12,288), others to 4 significant digits. */
export function readableNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return String(Number(value.toPrecision(4)));
}

/** Bytes in B, kB or MB (powers of 1,000, as file sizes are usually read). */
export function readableBytes(bytes: number): string {
  // binary units, as compare-methods' table and report give sizes
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${readableNumber(Number((bytes / 1024).toFixed(1)))} KiB`;
  return `${readableNumber(Number((bytes / 1024 ** 2).toFixed(1)))} MiB`;
}

/** Any recorded value in words: numbers rounded, lists joined, objects as "name value" pairs. */
export function readableValue(value: unknown): string {
  if (typeof value === 'number') return readableNumber(value);
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '–';
  if (Array.isArray(value)) return value.map(readableValue).join(', ');
  if (typeof value === 'object')
    return Object.entries(value)
      .map(([name, inner]) => `${words(name)} ${readableValue(inner)}`)
      .join(', ');
  return String(value);
}

// the recorded names whose words are not their camel case split
const named: Record<string, string> = {
  lr: 'learning rate',
  bestStep: 'best dev at step',
  taskRank: 'rank of the task factors',
  initFrom: 'started from',
  searchChose: 'search chose',
  queryKeyOrder: 'query and key order',
};

/** A recorded name in words: "batchSize" → "batch size". */
export function words(name: string): string {
  return named[name] ?? name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

const layouts: Record<string, string> = {
  'bos-first': 'bos-first ([BOS][prompt][input])',
  peft: 'peft ([prompt][BOS][input])',
};

/**
 * "12,288 parameters trained · 1,024 values in its file (4.2 kB)": the training's count (an encoder's
 * or an MLP's weights, which are not kept) and the file's (what a service loads), as far as recorded.
 */
export function sizeText(
  metadata: Record<string, unknown>,
  run: Record<string, unknown> | null,
): string | undefined {
  const training = (metadata.training ?? {}) as Record<string, unknown>;
  const trained = training.trainableParameters;
  const adapter = (run?.adapter ?? {}) as { values?: unknown; bytes?: unknown };
  const parts = [
    typeof trained === 'number' && `${readableNumber(trained)} parameters trained`,
    typeof adapter.values === 'number' &&
      `${readableNumber(adapter.values)} values in its file${typeof adapter.bytes === 'number' ? ` (${readableBytes(adapter.bytes)})` : ''}`,
  ].filter(Boolean);
  return parts.length ? parts.join(' · ') : undefined;
}

// promptune.json's fields the page shows elsewhere, or that name the file rather than the version
const shownElsewhere = new Set(['format', 'method', 'task', 'tasks', 'nearestTokens', 'init']);
// the training's fields shown elsewhere: its method and its shape (the method's sections), its task and
// the tasks beside it, the count the size line gives, and the layout and init promptune.json records too
const trainingShownElsewhere = new Set([
  'method',
  'task',
  'taskId',
  'data',
  'trainableParameters',
  'layout',
  'init',
  'virtualTokens',
  'rank',
  'alpha',
  'targets',
  'taskRank',
  'encoder',
  'projection',
]);
// the settings people look for first, in this order; the rest follow as recorded
const trainingOrder = ['lr', 'batchSize', 'steps', 'bestStep'];
const rank = (name: string) =>
  trainingOrder.includes(name) ? trainingOrder.indexOf(name) : trainingOrder.length;

/**
 * promptune.json in words: what it was trained on (model and tokenizer, by name and a short hash), how
 * (the training's settings, one per line), and the rest (losses, seed, layout), each line "name value".
 */
export function metadataSections(metadata: Record<string, unknown>): [string, string][] {
  const sections: [string, string][] = [];
  const base = metadata.baseModel as { name?: string; sha256?: string } | undefined;
  const tokenizer = metadata.tokenizer as { kind?: string; sha256?: string } | undefined;
  const hash = (sha256?: string) => (sha256 ? ` (sha256 ${sha256.slice(0, 12)}…)` : '');
  if (base || tokenizer)
    sections.push([
      'trained on',
      [
        base && `model ${base.name ?? '–'}${hash(base.sha256)}`,
        tokenizer && `tokenizer ${tokenizer.kind ?? '–'}${hash(tokenizer.sha256)}`,
      ]
        .filter(Boolean)
        .join('\n'),
    ]);
  const training = Object.entries((metadata.training ?? {}) as Record<string, unknown>)
    .filter(([name]) => !trainingShownElsewhere.has(name))
    .sort(([first], [second]) => rank(first) - rank(second));
  if (training.length)
    sections.push([
      'training',
      training.map(([name, value]) => `${words(name)} ${line(name, value)}`).join('\n'),
    ]);
  // the exact-match scores are on the scores line; the losses and anything else recorded are here
  const metrics = Object.entries((metadata.metrics ?? {}) as Record<string, unknown>).filter(
    ([name]) => !/ExactMatch$/.test(name),
  );
  const rest = Object.entries(metadata).filter(
    ([name]) =>
      !shownElsewhere.has(name) && !['baseModel', 'tokenizer', 'training', 'metrics'].includes(name),
  );
  const other = [...metrics, ...rest];
  if (other.length)
    sections.push([
      'recorded',
      other.map(([name, value]) => `${words(name)} ${line(name, value)}`).join('\n'),
    ]);
  return sections;
}

/** One recorded value as its line reads it: a layout with its order spelled out, the rest readable. */
function line(name: string, value: unknown): string {
  if (name === 'layout' && typeof value === 'string') return layouts[value] ?? value;
  return readableValue(value);
}
