// A local ESLint plugin enforcing STYLE.md's architecture on src/: imports point down the layer list
// (never up), another layer is reached only through its index.ts (no deep imports, no `_` files from
// another folder), and no module imports itself through a chain of imports (cycles, type-only included).
// Tests (*.test.ts, *.case.ts) may import any file of any layer, cycles excepted. It reads import
// specifiers with a regular expression and resolves only relative `.js` paths to `.ts`.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** STYLE.md's layers, bottom first: a layer may import only from layers before it (and itself). */
export const layers = [
  'errors',
  'engine',
  'soft',
  'tasks',
  'providers',
  'guard',
  'eval',
  'audit',
  'optimize',
  'registry',
  'observe',
  'review',
  'experiments',
  'jobs',
  'serve',
  'cli',
];

// the repository's src/, wherever ESLint runs from
const sourceRoot = fileURLToPath(new URL('../../src', import.meta.url));

/** The layer a file belongs to (its folder under src/), or undefined outside src/ layers. */
function layerOf(file) {
  const path = relative(sourceRoot, file);
  if (path.startsWith('..')) return undefined;
  const [first] = path.split(sep);
  return layers.includes(first) ? first : undefined;
}

/** The .ts file a relative `.js` specifier names, if it exists. */
function resolveImport(fromFile, specifier) {
  if (!specifier.startsWith('.')) return undefined;
  const target = resolve(dirname(fromFile), specifier.replace(/\.js$/, '.ts'));
  return existsSync(target) ? target : undefined;
}

// `import ... from '...'`, `export ... from '...'`, `import '...'` and `import('...')`
const importPattern =
  /(?:(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+|(?:^|\n)\s*import\s+|\bimport\(\s*)['"]([^'"]+)['"]/g;
const graph = new Map();

/** The resolved relative imports of a file (cached for the lint run). */
function importsOf(file) {
  let targets = graph.get(file);
  if (!targets) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    targets = [...text.matchAll(importPattern)]
      .map((match) => resolveImport(file, match[1]))
      .filter((target) => target !== undefined);
    graph.set(file, targets);
  }
  return targets;
}

/** A chain of imports from `target` back to `start`, if there is one (depth-first, iterative). */
function cycleThrough(start, target) {
  const seen = new Set([target]);
  const stack = [[target, [target]]];
  while (stack.length) {
    const [file, path] = stack.pop();
    for (const next of importsOf(file)) {
      if (next === start) return [start, ...path, start];
      if (!seen.has(next)) {
        seen.add(next);
        stack.push([next, [...path, next]]);
      }
    }
  }
  return undefined;
}

const isTest = (file) => /\.(test|case)\.ts$/.test(file);
const shortName = (file) => relative(process.cwd(), file).split(sep).join('/');

const importRule = {
  meta: {
    type: 'problem',
    docs: {
      description: 'Imports point down the layers, reach other layers through index.ts, and form no cycle',
    },
    schema: [],
    messages: {
      upward: '{{from}} may not import from {{to}}, a layer above it (STYLE.md: imports point down).',
      deep: 'import {{to}} through its index.ts ({{index}}), not its file {{file}}.',
      private: '{{file}} is private to its folder (its name starts with _).',
      cycle: 'import cycle: {{chain}}',
    },
  },
  create(context) {
    const file = context.filename;
    const from = layerOf(file);
    if (!from) return {};
    const check = (node) => {
      const specifier = node.source?.value;
      if (typeof specifier !== 'string') return;
      const target = resolveImport(file, specifier);
      if (!target) return;
      const to = layerOf(target);
      // tests may use a higher layer as a real part (e.g. the service's routes as an OpenAI server)
      if (to && layers.indexOf(to) > layers.indexOf(from) && !isTest(file))
        context.report({ node, messageId: 'upward', data: { from, to } });
      else if (to && to !== from && !isTest(file) && target !== join(sourceRoot, to, 'index.ts'))
        context.report({
          node,
          messageId: 'deep',
          data: { to, index: `src/${to}/index.ts`, file: shortName(target) },
        });
      else if (/[/\\]_[^/\\]*$/.test(target) && dirname(target) !== dirname(file) && !isTest(file))
        context.report({ node, messageId: 'private', data: { file: shortName(target) } });
      const chain = cycleThrough(file, target);
      if (chain)
        context.report({ node, messageId: 'cycle', data: { chain: chain.map(shortName).join(' -> ') } });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};

export default { meta: { name: 'promptune-layers' }, rules: { imports: importRule } };
