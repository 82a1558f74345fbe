// Every name the package exports has a doc comment, which is what `npm run docs` (TypeDoc) turns into
// the API reference: the entry points are typedoc.json's, each export is followed to its declaration
// with TypeScript's checker. Known gaps are listed by name so the list can only shrink.
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from './models.js';

/** Exports allowed without a doc comment, by entry point: none (a gap listed here must be real). */
const undocumented: Record<string, string[]> = {};

function exportsWithoutDocComment(): Record<string, string[]> {
  const typedoc = JSON.parse(readFileSync(join(repositoryRoot, 'typedoc.json'), 'utf8')) as {
    entryPoints: string[];
  };
  const entries = typedoc.entryPoints.map((entry) => join(repositoryRoot, entry));
  const config = ts.getParsedCommandLineOfConfigFile(
    join(repositoryRoot, 'tsconfig.build.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  )!;
  const program = ts.createProgram(entries, { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const missing: Record<string, string[]> = {};
  for (const entry of entries) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
    const names = checker
      .getExportsOfModule(module)
      .filter((symbol) => {
        const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
        return !ts.displayPartsToString(target.getDocumentationComment(checker)).trim();
      })
      .map((symbol) => symbol.name);
    if (names.length) missing[relative(repositoryRoot, entry)] = names.sort();
  }
  return missing;
}

describe('the API reference', () => {
  it('has a doc comment for every export of every entry point', () => {
    const sorted = Object.fromEntries(
      Object.entries(undocumented).map(([file, names]) => [file, names.sort()]),
    );
    expect(exportsWithoutDocComment()).toEqual(sorted);
  });
});
