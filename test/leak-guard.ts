// The suite runs its files one after another in shared processes (vitest's isolate: false), so a file
// that leaves process state changed would change the files after it, and the failure would show up
// far from its cause. Run before every test file (vitest's setupFiles), this fails the file itself
// when it ends with an environment variable, the working directory, process listeners or a patched
// global (fetch, timers, clocks) other than it found them.
import { afterAll } from 'vitest';

const environment = { ...process.env };
const directory = process.cwd();
// the process events whose listeners change what later files see ('exit' ones run only as the process
// ends: pino's flush of stdout registers one while a logger lives, and drops it once collected)
const events = ['SIGINT', 'SIGTERM', 'uncaughtException', 'unhandledRejection', 'warning'] as const;
const listeners = Object.fromEntries(events.map((event) => [event, process.listenerCount(event)]));
/** The globals a test might patch (a fake clock, a stubbed fetch), as they are now. */
const currentGlobals = () => ({
  fetch: globalThis.fetch,
  setTimeout: globalThis.setTimeout,
  setInterval: globalThis.setInterval,
  'Date.now': Date.now,
  'performance.now': performance.now,
  'Math.random': Math.random,
});
const globals = currentGlobals();

/** What differs between the state the file found and the state it leaves. */
function leftBehind(): string[] {
  const changes: string[] = [];
  for (const name of new Set([...Object.keys(environment), ...Object.keys(process.env)]))
    if (environment[name] !== process.env[name]) changes.push(`process.env.${name}`);
  if (process.cwd() !== directory) changes.push(`the working directory (${process.cwd()})`);
  for (const event of events) {
    const count = process.listenerCount(event);
    if (count > listeners[event]) changes.push(`${count - listeners[event]} more '${event}' listener(s)`);
  }
  const now = currentGlobals();
  for (const name of Object.keys(globals) as (keyof typeof globals)[])
    if (now[name] !== globals[name]) changes.push(name);
  return changes;
}

afterAll(() => {
  const changes = leftBehind();
  if (changes.length)
    throw new Error(
      `this test file left ${changes.join(', ')} changed; put them back when it ends (the suite runs files one after another in one process)`,
    );
});
