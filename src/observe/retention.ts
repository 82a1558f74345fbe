// Trace retention: a timer that deletes traces older than a maximum age and beyond a maximum count
// (with their scores), first at start and then every few minutes. It never runs two prunes at once and
// does not keep the process alive; aggregates already computed elsewhere are not its concern.
import type { TraceStore } from '../registry/index.js';

/** How long and how many traces to keep. */
export interface RetentionOptions {
  /** Delete traces older than this (undefined: no age limit). */
  maximumAgeMs?: number;
  /** Keep at most this many, newest first (undefined: no count limit). */
  maximumCount?: number;
  /** How often to prune (default 5 minutes). */
  everyMs?: number;
  now?: () => number;
  /** Told of failed prunes (the next one tries again). */
  onError?: (error: unknown) => void;
}

/** Prunes now and then every `everyMs`; `stop` ends it. With neither limit it does nothing. */
export function startRetention(
  store: Pick<TraceStore, 'prune'>,
  options: RetentionOptions,
): { stop(): void; prune(): Promise<number> } {
  const now = options.now ?? Date.now;
  let running: Promise<number> | undefined;
  const prune = async (): Promise<number> => {
    if (options.maximumAgeMs === undefined && options.maximumCount === undefined) return 0;
    if (running) return running;
    running = store
      .prune({
        before: options.maximumAgeMs === undefined ? undefined : now() - options.maximumAgeMs,
        keep: options.maximumCount,
      })
      .catch((error: unknown) => {
        options.onError?.(error);
        return 0;
      })
      .finally(() => (running = undefined));
    return running;
  };
  void prune();
  const timer = setInterval(() => void prune(), options.everyMs ?? 300_000);
  timer.unref();
  return { stop: () => clearInterval(timer), prune };
}
