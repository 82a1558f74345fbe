// Builds the native kernels with node-gyp during `npm install`. A failed build is not fatal:
// the engine falls back to the JS kernels and says so once. Set PROMPTUNE_REQUIRE_NATIVE=1 to fail instead.
// An addon newer than every source file is kept (Node-API addons do not depend on Node's version): the
// first `npx promptune` in a clone runs this again, and a rebuild there took a minute of silence.
// PROMPTUNE_REBUILD_NATIVE=1 builds it anyway (after installing another BLAS, say).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const directory = dirname(fileURLToPath(import.meta.url));
const addon = join(directory, 'build', 'Release', 'promptune_kernels.node');
const sources = readdirSync(directory).filter((name) => /\.(c|h|gyp)$/.test(name));
const built = existsSync(addon) ? statSync(addon).mtimeMs : undefined;
const current =
  built !== undefined && sources.every((name) => statSync(join(directory, name)).mtimeMs <= built);
if (current && process.env.PROMPTUNE_REBUILD_NATIVE !== '1') process.exit(0);
console.warn('promptune: building the native kernels (about a minute)');
// npm puts its bundled node-gyp in npm_config_node_gyp for lifecycle scripts; run by hand, look beside npm.
const bundled = join(
  dirname(process.execPath),
  '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
);
const nodeGyp = process.env.npm_config_node_gyp ?? (existsSync(bundled) ? bundled : undefined);
// Build against the headers that ship with this Node when they are there, so no download is needed.
const prefix = join(dirname(process.execPath), '..');
const nodeDir =
  process.env.npm_config_nodedir ??
  (existsSync(join(prefix, 'include/node/node_api.h')) ? prefix : undefined);
const args = [nodeGyp, 'rebuild', ...(nodeDir ? [`--nodedir=${nodeDir}`] : [])];
const result = nodeGyp
  ? spawnSync(process.execPath, args, { cwd: directory, stdio: 'inherit' })
  : { status: 1 };
if (result.status !== 0) {
  const message =
    'promptune: native kernels did not build (is libopenblas-dev installed?); the engine will use the slower JS kernels.';
  if (process.env.PROMPTUNE_REQUIRE_NATIVE === '1') {
    console.error(message);
    process.exit(1);
  }
  console.warn(message);
}
