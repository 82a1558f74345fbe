// prom-client, required when metrics are made rather than imported with the observe layer: its loading
// (~75 ms) was paid by every command line start (the layer is one chunk of the bundled CLI) for the
// service and the alerts that use it. It is CommonJS only, so required and imported it is one module:
// metrics made either way share its classes and registries.
import { createRequire } from 'node:module';

type PromClient = typeof import('prom-client');
let loaded: PromClient | undefined;

/** prom-client, loaded on first use. */
export function promClient(): PromClient {
  return (loaded ??= createRequire(import.meta.url)('prom-client') as PromClient);
}
