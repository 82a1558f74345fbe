// The registry bundle's file format, as zod schemas: format version 3 (version 2 and the task's dataset
// versions), version 2 (read only: each version names the task spec it serves with, and the bundle
// carries those specs; no dataset versions) and version 1 (read only: its versions all serve with the
// bundle's task spec). Shapes only: whether the contents agree with each other is bundle-checks.ts's.
import { z } from 'zod';
import { maximumJsonDepth, parseInput, ValidationError } from '../errors/index.js';

/** The bundle's format version that export writes. */
export const bundleFormatVersion = 3;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 (64 lowercase hex digits)');
const object = z.record(z.string(), z.unknown());

const versionV1 = z.object({
  id: sha256,
  task: z.string(),
  number: z.number().int().positive(),
  kind: z.enum(['hard', 'soft']),
  content: object,
  parent: sha256.nullable(),
  run: object.nullable(),
  message: z.string(),
  actor: z.string().optional(),
  createdAt: z.string().optional(),
});

const label = z.object({ label: z.string(), version: sha256, protected: z.boolean() });

const dataset = z.object({
  split: z.string().min(1),
  name: z.string(),
  rows: z.number().int().nonnegative(),
  bytes: z.base64(),
});

/** A dataset version: the dataset id of each split (one of the bundle's datasets), and where it came from. */
const datasetVersion = z.object({
  number: z.number().int().positive(),
  splits: z.record(z.string().min(1), sha256),
  parent: z.number().int().positive().nullable(),
  source: z.string(),
  message: z.string(),
  details: object,
  actor: z.string(),
  createdAt: z.number().int().nonnegative(),
});

const header = z.object({ format: z.literal('promptune-registry'), version: z.literal([1, 2, 3]) });

const bundleV1 = header.extend({
  version: z.literal(1),
  task: object,
  versions: z.array(versionV1),
  labels: z.array(label),
  datasets: z.array(dataset),
  blobs: z.record(sha256, z.base64()),
});

const bundleV2 = bundleV1.extend({
  version: z.literal(2),
  specs: z.record(sha256, object),
  versions: z.array(versionV1.extend({ specId: sha256 })),
});

const bundleV3 = bundleV2.extend({
  version: z.literal(3),
  datasetVersions: z.array(datasetVersion),
});

/** A bundle of any format version, its shape checked. */
export type BundleInput = z.output<typeof bundleV1> | z.output<typeof bundleV2> | z.output<typeof bundleV3>;

const sourceOf = (where: string) => ({
  where,
  code: 'REGISTRY_BAD_BUNDLE',
  hint: 'Import a file written by promptune registry export (format promptune-registry, version 1, 2 or 3).',
});

/** Checks the shape of a parsed bundle (`where` names it in errors); throws REGISTRY_BAD_BUNDLE. */
export function parseBundle(value: unknown, where: string): BundleInput {
  const source = sourceOf(where);
  // hashing walks contents recursively: a hostile value nested past the stack must fail here, politely
  if (depthOf(value) > maximumJsonDepth)
    throw new ValidationError(`${where} nests more than ${maximumJsonDepth} levels deep`, source);
  const { version } = parseInput(header, value, source);
  if (version === 1) return parseInput(bundleV1, value, source);
  return version === 2 ? parseInput(bundleV2, value, source) : parseInput(bundleV3, value, source);
}

/** The deepest nesting of objects and arrays in `value` (a walk with its own stack, no recursion). */
function depthOf(value: unknown): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [item, depth] = pending.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > maximumJsonDepth) return deepest;
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return deepest;
}
