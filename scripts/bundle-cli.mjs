// Bundles the compiled command line (dist/cli/main.js and every command it imports) into
// dist/cli/bundle/, one file per command plus the chunks they share. Node reads, resolves and links
// each ES module on its own: a `promptune` start loaded ~800 of them (our ~330, kysely's ~260, zod's
// ~100, …) and spent most of its ~0.9 s doing so; bundled it reads a handful. Run by `npm run build`
// after tsc; bin/promptune.js starts the bundle. The library (`import 'promptune'`) stays unbundled.
//
// Two things a bundle changes are kept as they were:
// - `import.meta.url` in our files means the compiled file's own place in dist/ (a worker's script,
//   the native addon, the dashboard's assets, bin/ are found from it), not the chunk it ends up in.
// - Packages that find their own files at run time (a native addon, Lua scripts, a worker file,
//   WebAssembly) stay outside the bundle and are imported from node_modules as before.
import { build } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = resolve(root, 'dist') + '/';
const outdir = resolve(root, 'dist/cli/bundle');

/** Packages imported from node_modules at run time, not bundled (each finds files beside itself). */
const external = [
  'better-sqlite3', // native addon through `bindings`
  'pg', // optional pg-native
  'pg-native',
  'bullmq', // reads its Lua scripts from its own folder
  'ioredis',
  'pino', // starts worker files by path
  '@huggingface/hub', // loads WebAssembly beside itself
  '@huggingface/tokenizers',
];

/** `import.meta.url` in a compiled file of ours, rewritten to that file's URL as seen from the chunk. */
const ownFileLocations = {
  name: 'own-file-locations',
  setup(builder) {
    builder.onLoad({ filter: /\.js$/ }, async (arguments_) => {
      if (!arguments_.path.startsWith(compiled)) return undefined; // a package's: loaded as it is
      const contents = await readFile(arguments_.path, 'utf8');
      if (!contents.includes('import.meta.url')) return { contents, loader: 'js' };
      const fromChunk = relative(outdir, arguments_.path).split('\\').join('/');
      const location = `new URL(${JSON.stringify(fromChunk)}, import.meta.url).href`;
      return { contents: contents.replaceAll('import.meta.url', location), loader: 'js' };
    });
  },
};

await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: [resolve(root, 'dist/cli/main.js')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  // packages written as CommonJS call `require` for Node's modules; an ES module has none of its own
  banner: {
    js: "import { createRequire as createBundleRequire } from 'node:module'; const require = createBundleRequire(import.meta.url);",
  },
  plugins: [ownFileLocations],
  logLevel: 'warning',
});
