// Opening the registry from a command (SQLite at --db, or Postgres when DATABASE_URL is set) as the
// local operator. Shared by `registry`, `serve`, `eval --trace|--push`, `optimize --push` and
// `soft train --push`.
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { NotFoundError, QualityGateError, redactedUrl, ValidationError } from '../errors/index.js';
import { Registry, type Actor, type PromptVersion, type RegistryLocation } from '../registry/index.js';

/** The --db option of every command that opens the registry. */
export const registryOption = {
  type: 'string',
  default: '.promptune/registry.sqlite',
  description: 'SQLite registry (DATABASE_URL selects Postgres)',
} as const;

/** The local operator's name, as the registry records who acted. */
export function operatorName(): string {
  return userInfo().username || 'cli';
}

/** Whether a --db beside DATABASE_URL was warned of (once per process). */
let warnedIgnoredDb = false;

/** The registry a command uses: DATABASE_URL's Postgres when it is set, else the SQLite file `db`. */
export function registryLocation(db: string): RegistryLocation {
  if (process.env.DATABASE_URL) {
    // a --db of its own beside DATABASE_URL reads another registry than the one written (said once)
    if (db !== registryOption.default && !warnedIgnoredDb) {
      warnedIgnoredDb = true;
      process.stderr.write(
        `warning: --db ${redactedUrl(db)} is ignored: DATABASE_URL is set, and its registry (${redactedUrl(process.env.DATABASE_URL)}) is used; unset DATABASE_URL to use --db\n`,
      );
    }
    return { url: process.env.DATABASE_URL };
  }
  // a Postgres URL given to --db had been made a SQLite file of that name, folders and all
  if (/^postgres(ql)?:/i.test(db))
    throw new ValidationError(`--db ${redactedUrl(db)} is a Postgres URL; --db names a SQLite file`, {
      code: 'REGISTRY_BAD_URL',
      hint: 'Set DATABASE_URL to the Postgres URL instead (and drop --db).',
    });
  return { path: db };
}

/**
 * Runs `work` with the registry open, acting with read and run scopes (plus admin with `admin`). A
 * command that only reads (`reads: true`) refuses a SQLite file that does not exist: a mistyped --db
 * would otherwise be made, folders and all, and listed as empty.
 */
export async function withRegistry<T>(
  args: { db: string; admin?: boolean },
  work: (registry: Registry, actor: Actor) => Promise<T>,
  options: { reads?: boolean } = {},
): Promise<T> {
  const location = registryLocation(args.db); // a Postgres URL in --db is refused before "no registry"
  if (options.reads && location.path !== undefined && !existsSync(location.path))
    throw new NotFoundError(`there is no registry at ${args.db}`, {
      code: 'REGISTRY_NOT_FOUND',
      hint: `Nothing has been recorded there: give the --db that holds the registry (the default is ${registryOption.default}, in the folder a command ran from), or set DATABASE_URL for Postgres.`,
    });
  const registry = await Registry.open(location);
  const actor: Actor = {
    name: operatorName(),
    scopes: ['read', 'run', ...(args.admin ? ['admin'] : [])],
  };
  try {
    return await work(registry, actor);
  } finally {
    await registry.close();
  }
}

/**
 * Runs a push (`push` writes through the registry it is given) and, when `label` is set, points the
 * label at the pushed version, in one transaction: a label the actor may not move leaves no version.
 */
export function pushAndLabel<T extends { version: PromptVersion }>(
  registry: Registry,
  actor: Actor,
  label: { name?: string; reason: string },
  push: (registry: Registry) => Promise<T>,
): Promise<T> {
  return registry.transaction(async (target) => {
    const pushed = await push(target);
    if (label.name)
      await target
        .setLabel({
          task: pushed.version.task,
          label: label.name,
          reference: pushed.version.id,
          actor,
          reason: label.reason,
        })
        .catch((error: unknown) => {
          throw refusedPush(error, pushed.version, label.name!);
        });
    return pushed;
  });
}

/**
 * An audit policy's refusal of a push's label, with a hint that can be followed: the version it names
 * was not kept (the push rolled back with the move), so it cannot be audited before it is pushed.
 */
function refusedPush(error: unknown, version: PromptVersion, label: string): unknown {
  if (!QualityGateError.isInstance(error) || error.code !== 'REGISTRY_AUDIT_POLICY') return error;
  const at = `${version.task}@${version.number}`;
  return new QualityGateError(`${error.message} (the push was not kept)`, {
    code: error.code,
    hint: `Push it without --label, record its audits (promptune audit bias|sensitivity --version ${at} --push, as the policy asks), then move the label: promptune registry label ${version.task} ${label} ${version.number}.`,
    cause: error,
  });
}

/** Splits `task@ref` (ref defaults to latest). */
export function versionReference(text: string): { task: string; ref: string } {
  const [task, ref = 'latest', ...rest] = text.split('@');
  if (!task || rest.length)
    throw new ValidationError(`"${text}" is not task or task@version`, {
      code: 'CLI_INVALID_OPTION',
      hint: 'Write <task>, <task>@<label>, <task>@<number> or <task>@<id prefix>.',
    });
  return { task, ref };
}
