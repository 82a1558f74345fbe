// What the dashboard's browser tests share: the CLI run as a user runs it, `promptune serve` and
// `promptune ui` started until they print their address, and a browser session signed in with a key.
// Each test file builds its own registry with these; nothing here holds state between files.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './browser.js';
import { repositoryRoot, stories } from './models.js';

export const bin = join(repositoryRoot, 'bin', 'promptune.js');
export const shared = join(repositoryRoot, '..', 'shared');
/** The local engine on stories260K, as hard-prompt commands name it. */
export const model = `local:${stories.gguf}`;
/** The `name` task's spec as a user would push it. */
export const spec = join(repositoryRoot, 'examples', 'name.yaml');

/** The inputs of the `name` task's dev split. */
export const inputs = readFileSync(join(shared, 'datasets', 'name', 'dev.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => (JSON.parse(line) as { input: string }).input);

/** The `name` spec with its data paths made absolute and `from` replaced by `to`, as another task or version. */
export function editedSpec(from: string | RegExp, to: string): string {
  return readFileSync(spec, 'utf8').replaceAll('../../shared', shared).replace(from, to);
}

/** Runs the CLI in `cwd` and returns its stdout; a failure throws with its stderr. */
export function cli(cwd: string, ...args: string[]): string {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`promptune ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
}

/** Starts a long-running command and waits for the line that names its address. */
export async function start(cwd: string, args: string[], pattern: RegExp) {
  const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, LOG_LEVEL: 'warn' } });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  for (let i = 0; i < 600 && !pattern.test(output); i++)
    await new Promise((resolve) => setTimeout(resolve, 50));
  const match = pattern.exec(output);
  if (!match) throw new Error(`promptune ${args[0]} did not start:\n${output}`);
  return { child, match };
}

/** Stops a started command and returns its exit code. */
export const stop = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });

/** A fresh browser session on `url`, signed in with `key` through the address (as `promptune ui` prints it). */
export async function signIn(browser: Browser, url: string, key: string, route = ''): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  await page.goto(`${url}/#key=${key}`);
  await page.getByRole('link', { name: 'Tasks' }).waitFor();
  if (route) await page.goto(`${url}/#/${route}`);
  return page;
}

/**
 * A registry in `cwd` with the `name` spec's prompt labelled staging, and an admin and a read key (named
 * e2e-admin and e2e-reader, as the tests sign in).
 */
export function registryWithKeys(cwd: string): { adminKey: string; readKey: string } {
  cli(cwd, 'registry', 'push', '--task', spec, '--label', 'staging', '--message', 'the hand-written prompt');
  return {
    adminKey: cli(cwd, 'keys', 'create', '--scopes', 'admin', '--name', 'e2e-admin').trim(),
    readKey: cli(cwd, 'keys', 'create', '--scopes', 'read', '--name', 'e2e-reader').trim(),
  };
}

/**
 * `promptune serve` on stories260K over the registry in `cwd` (with `options`, e.g. --alerts), and a
 * browser to look at it.
 */
export async function servedDashboard(
  cwd: string,
  options: string[] = [],
): Promise<{ server: ChildProcess; url: string; browser: Browser }> {
  const { child, match } = await start(
    cwd,
    ['serve', '--model', stories.gguf, '--port', '0', ...options],
    /listening on (\S+)/,
  );
  return { server: child, url: match[1], browser: await launchBrowser() };
}

/** Closes the browser and stops the service, which must exit cleanly. */
export async function closeDashboard(dashboard: {
  server?: ChildProcess;
  browser?: Browser;
}): Promise<number | null> {
  await dashboard.browser?.close();
  return dashboard.server ? stop(dashboard.server) : 0;
}
