// The worker behind WorkerTraceSink: it opens the registry at the location it is given and inserts the
// batches it is sent, so a SQLite write (and its occasional checkpoint) never stalls the service's event
// loop. One message in, one answer out, in order; it holds no queue of its own.
import { parentPort, workerData } from 'node:worker_threads';
import { Registry, type RegistryLocation, type TraceRecord } from '../registry/index.js';

type Message = { type: 'insert'; id: number; traces: TraceRecord[] } | { type: 'close' };

const port = parentPort!;
try {
  const registry = await Registry.open(workerData as RegistryLocation);
  port.on('message', (message: Message) => {
    if (message.type === 'close') {
      // closed or not, the worker ends: the sink waits for its exit
      void registry
        .close()
        .catch(() => undefined)
        .then(() => port.postMessage({ type: 'closed' }));
      return;
    }
    registry.traces.insert(message.traces).then(
      () => port.postMessage({ type: 'done', id: message.id }),
      (error: unknown) =>
        port.postMessage({
          type: 'failed',
          id: message.id,
          message: String((error as Error)?.message ?? error),
        }),
    );
  });
  port.postMessage({ type: 'ready' });
} catch (error) {
  port.postMessage({ type: 'unavailable', message: String((error as Error)?.message ?? error) });
}
