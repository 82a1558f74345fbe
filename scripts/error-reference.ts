// The error code reference (docs/errors.md), read off the source: every `code: 'X'` written in an
// error's options under src/ (tests left out), with the kind of error it is thrown as, where, and its
// hint. `npm run docs:errors` writes the file; a test checks the committed one is current, so the page
// lists exactly the codes a release can throw.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { unservableVersionCodes } from '../src/experiments/index.js';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import ts from 'typescript';

/** One place a code is thrown. */
interface Site {
  code: string;
  /** The error class constructed with it (`new ValidationError(…, { code })`), or undefined. */
  kind: string | undefined;
  file: string;
  hint: string | undefined;
}

/** The HTTP status and meaning of each error kind (the service's statusByKind, src/serve/errors.ts). */
const kinds: Record<string, string> = {
  AuthError: '401: no key, or a key that is not valid',
  PermissionError: "403: the key's scopes do not allow it",
  NotFoundError: '404: the thing named is not there',
  ConflictError: '409: it clashes with the current state (a name taken, a label protected)',
  QualityGateError: "409: a version fails its task's policy",
  GuardError: '422: a guard refused the input or the output',
  ValidationError: '400: the input is not valid',
  ShapeError: '400: tensors or weights of the wrong shape',
  DatasetError: '400: a dataset file cannot be read as one',
  TokenizerError: '400: a tokenizer file cannot be read',
  WeightLoadError: '400: a model file cannot be read',
  InterruptedError: 'the work was stopped (Ctrl-C, a signal, a cancelled job)',
  UnavailableError: '503: something it needs does not answer now (retry later)',
  ProviderError: '502: the model provider failed (503 when it rate-limits)',
  DownloadError: 'a download failed',
  EngineError: '500: the engine failed',
  EnvironmentError: '500: the machine around it (a folder, a port, a native build)',
  ServiceError: "the service's own status (a rate limit, a size, an unusable output)",
  BudgetExceededError: "an optimization's budget is spent: a call refused before it is sent",
};

/** The TypeScript files under `folder`, tests and conformance cases left out. */
function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name))
    .filter((entry) => !/\.(test|case)\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** A string or template literal's text, each `${…}` as "…"; undefined for anything else. */
function literalText(node: ts.Expression): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node))
    return node.head.text + node.templateSpans.map((span) => `…${span.literal.text}`).join('');
  return undefined;
}

/** The readers that throw their source's `kind`, ValidationError unless it names one (src/errors). */
const readers = new Set(['parseInput', 'parseJsonText', 'parseJsonBytes', 'readJsonFile', 'readYamlFile']);

/** Files whose codes are thrown as one kind by code elsewhere (a table of codes, a request schema). */
const kindByFile: Record<string, string> = {
  'src/errors/environment-error.ts': 'EnvironmentError',
  'src/serve/request-schemas.ts': 'ValidationError',
};

/**
 * The class an options object's error is thrown as: the `new X(…)` it is an argument of, the class
 * whose `super(…)` it is given to, or the `kind` it names for a reader; undefined when that is
 * decided elsewhere.
 */
function constructedKind(object: ts.ObjectLiteralExpression): string | undefined {
  const parent = object.parent;
  if (ts.isNewExpression(parent) && ts.isIdentifier(parent.expression)) return parent.expression.text;
  // a class of its own passing its code to `super(…)`: thrown as that class
  if (ts.isCallExpression(parent) && parent.expression.kind === ts.SyntaxKind.SuperKeyword) {
    let enclosing: ts.Node | undefined = parent;
    while (enclosing && !ts.isClassDeclaration(enclosing)) enclosing = enclosing.parent;
    return enclosing?.name?.text;
  }
  if (
    ts.isCallExpression(parent) &&
    ts.isIdentifier(parent.expression) &&
    readers.has(parent.expression.text)
  ) {
    const kind = object.properties.find(
      (member): member is ts.PropertyAssignment =>
        ts.isPropertyAssignment(member) && ts.isIdentifier(member.name) && member.name.text === 'kind',
    );
    return kind && ts.isIdentifier(kind.initializer) ? kind.initializer.text : 'ValidationError';
  }
  return undefined;
}

/** The codes a `code:` initializer may be: a string, or either string of a condition. */
function codesOf(node: ts.Expression): string[] {
  if (ts.isStringLiteral(node)) return [node.text];
  if (ts.isConditionalExpression(node)) return [...codesOf(node.whenTrue), ...codesOf(node.whenFalse)];
  if (ts.isParenthesizedExpression(node)) return codesOf(node.expression);
  return [];
}

/** Every `code: '…'` in an object literal of one file. */
function sitesOf(path: string, root: string): Site[] {
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const sites: Site[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isObjectLiteralExpression(node)) {
      const property = (name: string) =>
        node.properties.find(
          (member): member is ts.PropertyAssignment =>
            ts.isPropertyAssignment(member) && ts.isIdentifier(member.name) && member.name.text === name,
        );
      const code = property('code');
      // (Node's own system codes, ENOENT and the like, written where promptune imitates one, are not its)
      const codes = code
        ? codesOf(code.initializer).filter((text) => /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/.test(text))
        : [];
      const hint = property('hint');
      for (const text of codes)
        sites.push({
          code: text,
          kind: constructedKind(node) ?? kindByFile[relative(root, path)],
          file: relative(root, path),
          hint: hint ? literalText(hint.initializer) : undefined,
        });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return sites;
}

/** A table cell: one line, pipes escaped. */
const cell = (text: string) => text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();

/** docs/errors.md for the source under `root`/src, formatted as the repository formats Markdown. */
export async function errorReference(root: string): Promise<string> {
  const sites = sourceFiles(join(root, 'src')).flatMap((path) => sitesOf(path, root));
  const byCode = new Map<string, Site[]>();
  for (const site of sites) byCode.set(site.code, [...(byCode.get(site.code) ?? []), site]);
  const codes = [...byCode.keys()].sort();
  const groups = new Map<string, string[]>();
  for (const code of codes) {
    const prefix = code.split('_')[0];
    groups.set(prefix, [...(groups.get(prefix) ?? []), code]);
  }
  const lines = [
    '# Error codes',
    '',
    '<!-- Written by `npm run docs:errors` from the source (scripts/error-reference.ts); a test checks it is current. -->',
    '',
    'Every error promptune raises on purpose has a stable `code` (SCREAMING_SNAKE_CASE) and, mostly, a',
    '`hint` saying what to do. The CLI prints both on stderr (`code: …`) and exits with status 1 (2 for a',
    'usage error, 3 for a failed quality gate such as `REGISTRY_AUDIT_POLICY` or a score below `--min-score`,',
    "70 for a bug: the README's exit-status table); the service answers with OpenAI's error body,",
    '`{ "error": { "message", "type", "param", "code", "hint" } }`,',
    "with an HTTP status by the error's kind; the library throws a `PromptuneError` subclass whose `code` and",
    '`hint` are properties (`PromptuneError.isInstance(error)` recognises one across copies of the package).',
    '',
    `This page lists the ${codes.length} codes written in the source, each with the kind it is thrown as,`,
    'where, and its hint (`…` stands for a value filled in when it is thrown). Kinds and their HTTP statuses:',
    '',
    '| kind | HTTP status and meaning |',
    '| --- | --- |',
    ...Object.entries(kinds).map(([kind, meaning]) => `| \`${kind}\` | ${cell(meaning)} |`),
    '',
    'A code thrown as several kinds, or from several files, lists each. A few codes are made at run time',
    "(a provider's own status, `UPSTREAM_<status>`) and are not listed. The service answers a version it",
    `cannot run with 404 whatever the kind (not served here: ${unservableVersionCodes.map((code) => `\`${code}\``).join(', ')}).`,
    '',
    `Prefixes: ${[...groups.keys()].map((prefix) => `[${prefix}](#${prefix.toLowerCase()})`).join(', ')}.`,
  ];
  for (const [prefix, members] of groups) {
    lines.push('', `## ${prefix}`, '', '| code | kind | where | hint |', '| --- | --- | --- | --- |');
    for (const code of members) {
      const found = byCode.get(code)!;
      const kindsOf = [...new Set(found.map((site) => site.kind).filter((kind) => kind !== undefined))];
      const files = [...new Set(found.map((site) => site.file))];
      const hints = [...new Set(found.map((site) => site.hint).filter((hint) => hint !== undefined))];
      const where =
        files.length > 2 ? `${files.slice(0, 2).join(', ')} and ${files.length - 2} more` : files.join(', ');
      const others = hints.length - 1;
      const hint =
        others > 0 ? `${hints[0]} (and ${others} more ${others === 1 ? 'hint' : 'hints'})` : (hints[0] ?? '');
      lines.push(
        `| \`${code}\` | ${kindsOf.map((kind) => `\`${kind}\``).join(', ') || '—'} | ${cell(where)} | ${cell(hint)} |`,
      );
    }
  }
  const path = join(root, errorReferencePath);
  return format(`${lines.join('\n')}\n`, { ...(await resolveConfig(path)), filepath: path });
}

/** Where the reference is kept. */
export const errorReferencePath = 'docs/errors.md';

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  writeFileSync(join(root, errorReferencePath), await errorReference(root));
}
