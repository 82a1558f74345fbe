// Regular expressions written by a spec's author (a guard's pattern, a regex metric) run on text the
// author does not control: a model's output, a request's input. JavaScript's engine backtracks, so a
// pattern such as /^(a+)+$/ takes exponential time on "aaaa…a!" (31 characters held a service's event
// loop for 100 s). These run in a worker thread that the caller waits on for at most a time limit, and
// that is terminated (which stops the match) and replaced when it is exceeded: the caller gets
// a `REGEX_TIME_LIMIT` error, never a stuck process. A match costs a message round trip (~30 µs).
// `test` and `matches` block the calling thread while they wait (eval's metrics); `testLater` and
// `matchesLater` wait on another worker without blocking it (the service's guards: a slow pattern
// holds that worker, not every other request).
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { EnvironmentError, ValidationError } from '../errors/index.js';

/** What one run of a pattern found. */
export interface RegexMatch {
  index: number;
  text: string;
}

/** A pattern whose matches end within a time limit. */
export interface BoundedRegex {
  readonly source: string;
  readonly flags: string;
  /** Whether the text contains a match (or is one, for a pattern anchored with ^…$). */
  test(text: string): boolean;
  /** Every match in the text, left to right (empty matches too). */
  matches(text: string): RegexMatch[];
  /** test, answered without blocking the thread while the match runs. */
  testLater(text: string): Promise<boolean>;
  /** matches, answered without blocking the thread while the match runs. */
  matchesLater(text: string): Promise<RegexMatch[]>;
}

/** The error of a match that did not finish within its time limit: `REGEX_TIME_LIMIT`. */
function timeLimitError(source: string, flags: string, limitMs: number, length: number): ValidationError {
  return new ValidationError(
    `/${source}/${flags} did not finish within ${limitMs} ms on a text of ${length} characters`,
    {
      code: 'REGEX_TIME_LIMIT',
      hint: 'The pattern backtracks: a quantifier inside a quantified group, such as (a+)+ or (\\w|\\d)*, can take exponential time. Rewrite it without the nesting (a+ for (a+)+).',
    },
  );
}

/** Whether `error` is a match that ran out of time (`REGEX_TIME_LIMIT`). */
export function isRegexTimeLimit(error: unknown): error is ValidationError {
  return ValidationError.isInstance(error) && error.code === 'REGEX_TIME_LIMIT';
}

/** Milliseconds a match may take by default. */
export const defaultRegexTimeLimitMs = 250;

// the worker: compiles each pattern once (a few hundred kept), answers one request at a time, and
// signals the waiting thread through shared memory after posting its answer
const workerSource = `
const { workerData } = require('node:worker_threads');
const signal = new Int32Array(workerData.signal);
const compiled = new Map();
Atomics.store(signal, 0, 1);
Atomics.notify(signal, 0);
if (workerData.announce) workerData.port.postMessage({ ready: true });
workerData.port.on('message', ({ source, flags, text, all }) => {
  let answer;
  try {
    const key = flags + '/' + source;
    let pattern = compiled.get(key);
    if (!pattern) {
      if (compiled.size > 500) compiled.clear();
      pattern = new RegExp(source, flags.replace('g', '') + 'g');
      compiled.set(key, pattern);
    }
    pattern.lastIndex = 0;
    if (all) answer = { matches: [...text.matchAll(pattern)].map((match) => [match.index, match[0]]) };
    else answer = { found: pattern.test(text) };
  } catch (error) {
    answer = { error: String(error && error.message) };
  }
  workerData.port.postMessage(answer);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});
`;

interface MatchWorker {
  worker: Worker;
  port: MessagePort;
  signal: Int32Array;
}

let current: MatchWorker | undefined;
const workerStartLimitMs = 30_000;

/**
 * A new worker, the port to it and its start signal (set once it listens); neither keeps the process
 * alive. `announce`: it also posts a message on the port once it listens (for a caller that must not block).
 */
function spawnMatchWorker(announce: boolean): MatchWorker {
  const shared = new SharedArrayBuffer(4);
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(workerSource, {
    eval: true,
    workerData: { signal: shared, port: port2, announce },
    transferList: [port2],
  });
  worker.unref();
  port1.unref();
  return { worker, port: port1, signal: new Int32Array(shared) };
}

const workerStartError = () =>
  new EnvironmentError(`the regular expression worker did not start within ${workerStartLimitMs} ms`, {
    code: 'REGEX_WORKER_START',
    hint: 'The machine is overloaded or out of memory for a new thread; retry, or lower the load.',
  });

function matchWorker(): MatchWorker {
  if (current) return current;
  const started = spawnMatchWorker(false);
  const { worker, signal } = started;
  // a worker that dies is replaced at the next call (an unheard 'error' event would end the process)
  worker.on('error', () => {
    if (current?.worker === worker) current = undefined;
  });
  // started before any match is timed (it takes ~60 ms, more on a loaded machine): the limit is the match's
  if (Atomics.wait(signal, 0, 0, workerStartLimitMs) === 'timed-out') {
    void worker.terminate();
    throw workerStartError();
  }
  current = started;
  return current;
}

type Answer = { found: boolean } | { matches: [number, string][] } | { error: string };

function ask(source: string, flags: string, text: string, all: boolean, limitMs: number): Answer {
  const { worker, port, signal } = matchWorker();
  Atomics.store(signal, 0, 0);
  port.postMessage({ source, flags, text, all });
  if (Atomics.wait(signal, 0, 0, limitMs) === 'timed-out') {
    // stops the match where it is; the next call starts a new worker
    current = undefined;
    void worker.terminate();
    throw timeLimitError(source, flags, limitMs, text.length);
  }
  return receiveMessageOnPort(port)!.message as Answer;
}

/**
 * `source` with `flags` (checked here: an invalid pattern is a `ValidationError` with `code`), matched
 * in a worker for at most `limitMs` per call (`REGEX_TIME_LIMIT` past it: `isRegexTimeLimit`); `label`
 * names the pattern's owner in the error.
 */
export function boundedRegex(
  source: string,
  flags: string,
  options: { code: string; label: string; limitMs?: number },
): BoundedRegex {
  try {
    new RegExp(source, flags);
  } catch (error) {
    throw new ValidationError(`${options.label}: /${source}/${flags} is not a valid regular expression`, {
      code: options.code,
      // V8's message quotes the pattern with the flags given, which say it
      hint: `${(error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '')} (JavaScript syntax).`,
    });
  }
  const limitMs = options.limitMs ?? defaultRegexTimeLimitMs;
  const checked = (result: Answer) => {
    if ('error' in result) throw new Error(`/${source}/${flags} failed in its worker: ${result.error}`);
    return result;
  };
  const found = (result: Answer) => (checked(result) as { found: boolean }).found;
  const matched = (result: Answer) =>
    (checked(result) as { matches: [number, string][] }).matches.map(([index, text]) => ({ index, text }));
  return {
    source,
    flags,
    test: (text) => found(ask(source, flags, text, false, limitMs)),
    matches: (text) => matched(ask(source, flags, text, true, limitMs)),
    testLater: async (text) => found(await askLater({ source, flags, text, all: false }, limitMs)),
    matchesLater: async (text) => matched(await askLater({ source, flags, text, all: true }, limitMs)),
  };
}

// the worker that answers without blocking: requests wait their turn, and each is timed from when the
// worker takes it (a request behind a slow one is not charged for the wait)
interface Request {
  source: string;
  flags: string;
  text: string;
  all: boolean;
}
let laterWorker: Promise<{ worker: Worker; port: MessagePort }> | undefined;
let queue: Promise<unknown> = Promise.resolve();

function startLaterWorker(): Promise<{ worker: Worker; port: MessagePort }> {
  const { worker, port } = spawnMatchWorker(true);
  const started = new Promise<{ worker: Worker; port: MessagePort }>((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(workerStartError());
    }, workerStartLimitMs);
    port.once('message', () => {
      clearTimeout(timer);
      resolve({ worker, port });
    });
  });
  // a worker that dies is replaced at the next request (an unheard 'error' event would end the process)
  worker.on('error', () => {
    if (laterWorker === started) laterWorker = undefined;
  });
  started.catch(() => {
    if (laterWorker === started) laterWorker = undefined;
  });
  return started;
}

function askLater(request: Request, limitMs: number): Promise<Answer> {
  const turn = queue.then(async () => {
    laterWorker ??= startLaterWorker();
    const current = laterWorker;
    const { worker, port } = await current;
    return new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => {
        // stops the match where it is; the next request starts a new worker
        port.off('message', answered);
        if (laterWorker === current) laterWorker = undefined;
        void worker.terminate();
        reject(timeLimitError(request.source, request.flags, limitMs, request.text.length));
      }, limitMs);
      const answered = (message: Answer) => {
        clearTimeout(timer);
        resolve(message);
      };
      port.once('message', answered);
      port.postMessage(request);
    });
  });
  // the next request waits for this one to end, however it ends
  queue = turn.catch(() => undefined);
  return turn;
}
