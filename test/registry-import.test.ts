// Bad registry bundles, table-driven, through `promptune registry import` (spawned) and through
// importBundle: each is refused with a coded error and a hint (exit status 1 and no stack trace on the
// command line), and leaves every table of the target registry as it was. Also which imports need admin.
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PromptuneError } from '../src/errors/index.js';
import {
  Registry,
  contentHash,
  exportTask,
  hardVersionContent,
  importBundle,
  registerTask,
  type Actor,
} from '../src/registry/index.js';
import { loadTask } from '../src/tasks/load-task.js';
import { peftAdapterFiles, repositoryRoot } from './models.js';

const admin: Actor = { name: 'ana', scopes: ['read', 'run', 'admin'] };
const folder = mkdtempSync(join(tmpdir(), 'promptune-registry-import-'));
const target = join(folder, 'target.sqlite');
let good = '';

/** Every row of every table, to show a refused import changed nothing. */
function dumpTables(path: string): Record<string, unknown[]> {
  const database = new Database(path, { readonly: true });
  try {
    const tables = database
      .prepare("select name from sqlite_master where type = 'table' order by name")
      .all() as { name: string }[];
    return Object.fromEntries(
      tables.map(({ name }) => [name, database.prepare(`select * from "${name}" order by rowid`).all()]),
    );
  } finally {
    database.close();
  }
}

function cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const environment = { ...process.env };
  delete environment.DATABASE_URL;
  const child = spawn(process.execPath, [join(repositoryRoot, 'bin', 'promptune.js'), 'registry', ...args], {
    cwd: folder,
    env: environment,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

beforeAll(async () => {
  const source = await Registry.open({ path: join(folder, 'source.sqlite') });
  const task = loadTask(join(repositoryRoot, 'examples', 'support-tickets', 'task.yaml'));
  await registerTask(source, task);
  const { version } = await source.pushVersion({
    task: task.spec.name,
    kind: 'hard',
    content: hardVersionContent(task.spec),
    spec: task.spec,
    actor: admin,
  });
  await source.setLabel({ task: task.spec.name, label: 'staging', reference: version.id, actor: admin });
  const adapter = peftAdapterFiles();
  const adapterBlob = await source.putBlob(adapter.safetensors);
  await source.pushVersion({
    task: task.spec.name,
    kind: 'soft',
    content: { adapterBlob, adapterConfig: adapter.config },
    parent: version.id,
    actor: admin,
  });
  good = JSON.stringify(await exportTask(source, task.spec.name));
  await source.close();
  // the target holds another task already, so "unchanged" is not just "empty"
  const registry = await Registry.open({ path: target });
  const other = loadTask(join(repositoryRoot, 'examples', 'animal.yaml')).spec;
  const pushed = await registry.pushVersion({
    task: other.name,
    kind: 'hard',
    content: hardVersionContent(other),
    spec: other,
    actor: admin,
  });
  await registry.setLabel({
    task: other.name,
    label: 'production',
    reference: pushed.version.id,
    actor: admin,
  });
  await registry.close();
}, 60_000);

type Bundle = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const edited = (edit: (bundle: Bundle) => void) => () => {
  const bundle = JSON.parse(good) as Bundle;
  edit(bundle);
  return JSON.stringify(bundle);
};
const firstKey = (record: Record<string, unknown>) => Object.keys(record)[0];
/**
 * The soft version with its adapter edited and its blob key and id made to match again, as a careful
 * forger would: only the adapter checks can refuse it.
 */
const softResealed = (edit: (adapter: { config: Bundle; tensor: Buffer }) => void) =>
  edited((bundle) => {
    const version = bundle.versions.find((candidate: Bundle) => candidate.kind === 'soft');
    const tensor = Buffer.from(bundle.blobs[version.content.adapterBlob], 'base64');
    const adapter = { config: version.content.adapterConfig, tensor };
    edit(adapter);
    delete bundle.blobs[version.content.adapterBlob];
    version.content.adapterBlob = contentHash(adapter.tensor);
    bundle.blobs[version.content.adapterBlob] = adapter.tensor.toString('base64');
    const id = contentHash({
      task: version.task,
      kind: 'soft',
      content: version.content,
      spec: version.specId,
    });
    for (const label of bundle.labels) if (label.version === version.id) label.version = id;
    version.id = id;
  });
/** The tensor's data section: after the 8-byte header length and the JSON header. */
const dataStart = (tensor: Buffer) => 8 + Number(tensor.readBigUInt64LE(0));
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

/** name, the bundle file's text, the error code expected. */
const badBundles: [string, () => string, string][] = [
  ['truncated JSON', () => good.slice(0, good.length / 2), 'REGISTRY_BAD_BUNDLE'],
  ['not an object', () => '[1, 2, 3]', 'REGISTRY_BAD_BUNDLE'],
  ['another format', edited((bundle) => (bundle.format = 'other-tool')), 'REGISTRY_BAD_BUNDLE'],
  ['an unknown format version', edited((bundle) => (bundle.version = 4)), 'REGISTRY_BAD_BUNDLE'],
  ['versions missing', edited((bundle) => delete bundle.versions), 'REGISTRY_BAD_BUNDLE'],
  ['a label without its version', edited((bundle) => delete bundle.labels[0].version), 'REGISTRY_BAD_BUNDLE'],
  [
    'a version number of the wrong type',
    edited((bundle) => (bundle.versions[0].number = 'one')),
    'REGISTRY_BAD_BUNDLE',
  ],
  [
    'an unknown version kind',
    edited((bundle) => (bundle.versions[0].kind = 'medium')),
    'REGISTRY_BAD_BUNDLE',
  ],
  [
    'a task spec without a template',
    edited((bundle) => delete bundle.task.prompt.template),
    'TASK_SPEC_INVALID',
  ],
  [
    'a task spec whose template uses an unknown field',
    edited((bundle) => (bundle.task.prompt.template = '{{question}}')),
    'TEMPLATE_UNKNOWN_VARIABLE',
  ],
  ['a path-like task name ../x', edited((bundle) => (bundle.task.name = '../x')), 'TASK_SPEC_INVALID'],
  ['a path-like task name a/b', edited((bundle) => (bundle.task.name = 'a/b')), 'TASK_SPEC_INVALID'],
  [
    'a parent the bundle lacks',
    edited((bundle) => (bundle.versions.find((version: Bundle) => version.parent).parent = 'f'.repeat(64))),
    'REGISTRY_BAD_BUNDLE',
  ],
  [
    'a parent numbered after its child',
    edited((bundle) => {
      const [first, second] = bundle.versions;
      [first.number, second.number] = [second.number, first.number];
    }),
    'REGISTRY_BAD_BUNDLE',
  ],
  [
    'a version of another task',
    edited((bundle) => (bundle.versions[0].task = 'other')),
    'REGISTRY_BAD_BUNDLE',
  ],
  [
    'an invalid spec a version serves with',
    edited((bundle) => (bundle.specs[firstKey(bundle.specs)].metrics = [])),
    'TASK_SPEC_INVALID',
  ],
  [
    'a spec that is not what its id says',
    edited((bundle) => (bundle.specs[firstKey(bundle.specs)].description = 'edited')),
    'REGISTRY_BAD_BUNDLE',
  ],
  [
    'dataset bytes that are not base64',
    edited((bundle) => (bundle.datasets[0].bytes = 'not base64!')),
    'REGISTRY_BAD_BUNDLE',
  ],
  [
    'dataset base64 cut short',
    edited((bundle) => (bundle.datasets[0].bytes = bundle.datasets[0].bytes.slice(0, -1))),
    'REGISTRY_BAD_BUNDLE',
  ],
  [
    'a dataset row count that is not its bytes',
    edited((bundle) => (bundle.datasets[0].rows += 1)),
    'REGISTRY_BAD_BUNDLE',
  ],
  [
    'dataset bytes that are not the task data',
    edited(
      (bundle) => (bundle.datasets[0].bytes = Buffer.from('{"text": "no ticket"}\n').toString('base64')),
    ),
    'REGISTRY_BAD_BUNDLE',
  ],
  [
    'a blob that is not what its sha256 says',
    edited((bundle) => (bundle.blobs[firstKey(bundle.blobs)] = Buffer.from([9, 9]).toString('base64'))),
    'REGISTRY_BAD_BUNDLE',
  ],
  [
    'a blob key that is not a sha256',
    edited((bundle) => (bundle.blobs = { '../blob': 'AAAA' })),
    'REGISTRY_BAD_BUNDLE',
  ],
  ['a soft version without its blob', edited((bundle) => (bundle.blobs = {})), 'REGISTRY_BAD_BUNDLE'],
  [
    'a soft version whose vectors hold NaN',
    softResealed(({ tensor }) => tensor.writeFloatLE(Number.NaN, dataStart(tensor) + 4)),
    'SOFT_PROMPT_NOT_FINITE',
  ],
  [
    'a soft version whose blob is not safetensors',
    softResealed((adapter) => (adapter.tensor = Buffer.from('not a tensor file at all'))),
    'WEIGHT_BAD_MAGIC',
  ],
  [
    'a soft version whose config says another number of vectors',
    softResealed(({ config }) => (config.num_virtual_tokens += 1)),
    'ADAPTER_CORRUPT',
  ],
  [
    'a version that is not what its id says',
    edited((bundle) => (bundle.versions[0].content.template = 'Ticket: {{ticket}}\nEdited:')),
    'REGISTRY_BAD_BUNDLE',
  ],
  [
    'a version id repeated',
    edited((bundle) => bundle.versions.push(bundle.versions[0])),
    'REGISTRY_BAD_BUNDLE',
  ],
  [
    'a label naming a version it lacks',
    edited((bundle) => bundle.labels.push({ label: 'canary', version: 'ab'.repeat(32), protected: false })),
    'REGISTRY_BAD_BUNDLE',
  ],
  [
    'a label that cannot be a label',
    edited((bundle) => (bundle.labels[0].label = 'Latest Good')),
    'REGISTRY_BAD_LABEL',
  ],
  [
    'JSON nested 5000 levels deep',
    () => good.replace('"content":{', `"content":{"deep":${nested(5000)},`),
    'REGISTRY_BAD_BUNDLE',
  ],
];

describe('registry import of bad bundles', () => {
  it('refuses each through importBundle with a coded error, changing nothing', async () => {
    const before = dumpTables(target);
    const registry = await Registry.open({ path: target });
    try {
      for (const [name, text, code] of badBundles) {
        let value: unknown;
        try {
          value = JSON.parse(text());
        } catch {
          continue; // not JSON at all: only the command line reads text
        }
        const error = await importBundle(registry, value, admin, { where: `bundle ${name}` }).catch(
          (caught: unknown) => caught,
        );
        expect({ name, code: PromptuneError.isInstance(error) ? error.code : String(error) }).toEqual({
          name,
          code,
        });
        expect((error as PromptuneError).hint, name).toBeTruthy();
      }
    } finally {
      await registry.close();
    }
    expect(dumpTables(target)).toEqual(before);
  });

  it('refuses each through promptune registry import with exit status 1 and no stack trace, changing nothing', async () => {
    const before = dumpTables(target);
    const results = await Promise.all(
      badBundles.map(async ([name, text, code], index) => {
        const file = join(folder, `bad-${index}.json`);
        writeFileSync(file, text());
        return { name, code, ...(await cli('import', file, '--db', target, '--admin')) };
      }),
    );
    for (const { name, code, status, stdout, stderr } of results) {
      expect({ name, status, code: /^code: (.*)$/m.exec(stderr)?.[1] }).toEqual({ name, status: 1, code });
      expect(stderr, name).toMatch(/^error: .+\nhint: .+\n/);
      expect(stderr, name).not.toMatch(/^\s+at /m);
      expect(stdout, name).toBe('');
    }
    expect(dumpTables(target)).toEqual(before);
  });

  it('imports a bundle whose labels are unprotected without --admin; one with production needs --admin', async () => {
    const unprotected = join(folder, 'unprotected.json');
    writeFileSync(unprotected, good);
    const imported = await cli('import', unprotected, '--db', join(folder, 'fresh.sqlite'));
    expect(imported.stderr).toBe('');
    expect(imported).toMatchObject({
      status: 0,
      stdout: 'imported support-tickets: 2 new versions, 0 already present\n',
    });

    const withProduction = join(folder, 'production.json');
    const bundle = JSON.parse(good) as Bundle;
    bundle.labels.push({ label: 'production', version: bundle.labels[0].version, protected: true });
    writeFileSync(withProduction, JSON.stringify(bundle));
    const before = dumpTables(target);
    const refused = await cli('import', withProduction, '--db', target);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('code: REGISTRY_PROTECTED_LABEL');
    expect(dumpTables(target)).toEqual(before);
    expect((await cli('import', withProduction, '--db', target, '--admin')).status).toBe(0);
    const registry = await Registry.open({ path: target });
    expect(
      (await registry.listLabels('support-tickets')).map((label) => [label.label, label.protected]),
    ).toEqual([
      ['production', true],
      ['staging', false],
    ]);
    await registry.close();
  });

  it('names a bundle file that does not exist', async () => {
    const missing = await cli('import', join(folder, 'missing.json'), '--db', target);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('code: REGISTRY_NO_BUNDLE');
  });
});
