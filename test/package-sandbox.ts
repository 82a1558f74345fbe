// A folder outside the repository in which `promptune` resolves as an installed package would: its
// node_modules/promptune links to this repository, so imports go through package.json's exports into
// dist/ (which `npm test` builds first). For tests of the published surface (exports, docs recipes); it
// runs node and tsc as child processes and does not build anything itself.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repositoryRoot } from './models.js';

/** What a child process printed, and how it ended. */
export interface ProcessOutput {
  stdout: string;
  stderr: string;
  /** The exit code (null when a signal ended it). */
  code: number | null;
}

/** A temporary folder with `promptune` installed (linked), where scripts run as a user's would. */
export interface PackageSandbox {
  directory: string;
  /** Writes a file into the folder; returns its path. */
  write(name: string, text: string): string;
  /** Runs node with `args` in the folder (TypeScript files through tsx's loader when `typescript`). */
  node(
    args: string[],
    options?: { typescript?: boolean; env?: Record<string, string> },
  ): Promise<ProcessOutput>;
  /**
   * Starts node with `args` (TypeScript through tsx) and waits for a line of its output that matches
   * `ready`; the caller ends the process (`child.kill()`).
   */
  start(args: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray }>;
  /**
   * Type-checks `files` (strict, NodeNext unless told Bundler) against the package's declarations; with
   * `libraries`, its dependencies' declarations too (no skipLibCheck), as a strict user's project does;
   * with `indexedAccess`, an index into an array or record may be undefined (noUncheckedIndexedAccess).
   */
  typecheck(
    files: string[],
    options?: { resolution?: 'NodeNext' | 'Bundler'; libraries?: boolean; indexedAccess?: boolean },
  ): Promise<ProcessOutput>;
  remove(): void;
}

/**
 * The children's environment. OpenMP threads that wait actively (its default) spin against each other
 * when the machine's cores are shared with other processes, which made one recipe's 60 model calls take
 * 15 s instead of 1 s on a loaded 2-core machine; passive waiting keeps the suite fast and changes no result.
 */
const childEnvironment = (env?: Record<string, string>) => ({
  ...process.env,
  OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'passive',
  ...env,
});

function run(
  command: string,
  args: string[],
  cwd: string,
  env?: Record<string, string>,
): Promise<ProcessOutput> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, env: childEnvironment(env), maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ stdout, stderr, code });
      },
    );
  });
}

/** Makes a sandbox; fails at once when dist/ has not been built. */
export function packageSandbox(): PackageSandbox {
  if (!existsSync(join(repositoryRoot, 'dist', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  const directory = mkdtempSync(join(tmpdir(), 'promptune-package-'));
  mkdirSync(join(directory, 'node_modules'));
  symlinkSync(repositoryRoot, join(directory, 'node_modules', 'promptune'), 'dir');
  writeFileSync(join(directory, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  const tsxLoader = pathToFileURL(
    join(repositoryRoot, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs'),
  ).href;
  return {
    directory,
    write(name, text) {
      const path = join(directory, name);
      writeFileSync(path, text);
      return path;
    },
    node(args, options = {}) {
      const loader = options.typescript ? ['--import', tsxLoader] : [];
      return run(process.execPath, [...loader, ...args], directory, options.env);
    },
    start(args, ready) {
      const child = spawn(process.execPath, ['--import', tsxLoader, ...args], {
        cwd: directory,
        env: childEnvironment(),
      });
      return new Promise((resolve, reject) => {
        let output = '';
        const read = (chunk: Buffer) => {
          output += chunk.toString();
          const match = output.match(ready);
          if (match) resolve({ child, match });
        };
        child.stdout.on('data', read);
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.on('exit', (code) => reject(new Error(`exited with ${code} before ${ready}:\n${output}`)));
      });
    },
    typecheck(files, options = {}) {
      const resolution = options.resolution ?? 'NodeNext';
      const config = {
        compilerOptions: {
          target: 'ES2022',
          module: resolution === 'Bundler' ? 'ESNext' : 'NodeNext',
          moduleResolution: resolution,
          // the libraries' own declarations name web types (hono's WebSocket helper): a project that
          // checks them has the DOM library, as tsc's default does
          lib: options.libraries ? ['ES2022', 'DOM'] : ['ES2022'],
          strict: true,
          noUncheckedIndexedAccess: options.indexedAccess === true,
          noEmit: true,
          skipLibCheck: options.libraries !== true,
          types: ['node'],
          typeRoots: [join(repositoryRoot, 'node_modules', '@types')],
        },
        files,
      };
      writeFileSync(join(directory, 'tsconfig.json'), JSON.stringify(config));
      const tsc = join(repositoryRoot, 'node_modules', 'typescript', 'bin', 'tsc');
      return run(
        process.execPath,
        [tsc, '-p', join(directory, 'tsconfig.json'), '--pretty', 'false'],
        directory,
      );
    },
    remove() {
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
