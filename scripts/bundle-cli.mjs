// Bundles the compiled command line (dist/cli/main.js and every file of ours it imports) into
// dist/cli/bundle/, one file per command plus the chunks they share. Node reads, resolves and links
// each ES module on its own: a `promptune` start loaded ~330 of ours besides its dependencies' and spent
// most of its ~0.9 s doing so. The dependencies are not bundled: they are imported from node_modules
// as installed, so an `npm update` or `npm audit fix` reaches the command line too. Run by
// `npm run build` after tsc; bin/promptune.js starts the bundle. The library (`import 'promptune'`)
// stays unbundled.
//
// `import.meta.url` in our files keeps meaning the compiled file's own place in dist/ (a worker's
// script, the native addon, the dashboard's assets and bin/ are found from it), not the chunk it ends
// up in.
import { build } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = resolve(root, 'dist') + '/';
const outdir = resolve(root, 'dist/cli/bundle');

/** `import.meta.url` in a compiled file of ours, rewritten to that file's URL as seen from the chunk. */
const ownFileLocations = {
  name: 'own-file-locations',
  setup(builder) {
    builder.onLoad({ filter: /\.js$/ }, async (arguments_) => {
      if (!arguments_.path.startsWith(compiled)) return undefined;
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
  packages: 'external',
  plugins: [ownFileLocations],
  logLevel: 'warning',
});
