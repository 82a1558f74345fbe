// Starts bench/serve-target.ts in a process of its own (a stub upstream, or the service over it) and
// reads the JSON line it prints once listening. Shared by bench:serve and bench:observe.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The process and what it printed when ready ({ upstream } or { service, key }). */
export function startServeTarget(...args: string[]): {
  child: ChildProcess;
  ready: Promise<Record<string, string>>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'serve-target.ts'), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<Record<string, string>>((resolve) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(JSON.parse(text.split('\n')[0]) as Record<string, string>);
    });
  });
  return { child, ready };
}
