// BullMQ's functions as the jobs layer exports them, loading BullMQ (and ioredis) on first use only: the
// service, the registry queue and a library import of promptune/serve run without Redis and should not
// pay for its client at start-up (it was about a third of importing the service).
import type * as BullQueue from './bull-queue.js';

const loaded = () => import('./bull-queue.js');

/** The BullMQ queue at a Redis URL, connected (see bull-queue.ts). */
export async function openBullQueue(
  ...args: Parameters<typeof BullQueue.openBullQueue>
): ReturnType<typeof BullQueue.openBullQueue> {
  return (await loaded()).openBullQueue(...args);
}

/** Puts a recorded job on an open queue (see bull-queue.ts). */
export async function dispatchToBull(
  ...args: Parameters<typeof BullQueue.dispatchToBull>
): ReturnType<typeof BullQueue.dispatchToBull> {
  return (await loaded()).dispatchToBull(...args);
}

/** A BullMQ worker running the registry's jobs it is handed (see bull-queue.ts). */
export async function startBullWorker(
  ...args: Parameters<typeof BullQueue.startBullWorker>
): ReturnType<typeof BullQueue.startBullWorker> {
  return (await loaded()).startBullWorker(...args);
}
