#!/usr/bin/env node
// Entry point of the `promptune` command: runs the compiled CLI, bundled into dist/cli/bundle/ so a
// start reads a handful of files (scripts/bundle-cli.mjs).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// help and usage errors are coloured on a terminal only (citty reads NO_COLOR when it loads)
if (!process.stdout.isTTY && process.env.NO_COLOR === undefined) process.env.NO_COLOR = '1';
const main = fileURLToPath(new URL('../dist/cli/bundle/main.js', import.meta.url));
if (!existsSync(main)) {
  console.error(
    'promptune: the command line is not built (dist/cli/bundle/ is missing); run `npm run build` (npm install does it) first.',
  );
  process.exit(1);
}
await import(main);
