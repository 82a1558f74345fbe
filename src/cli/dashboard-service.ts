// The service `promptune ui` runs: the dashboard's routes over a registry, and nothing that acts on it
// by itself. A dashboard opened against a shared registry (production's Postgres, from a laptop) is a
// view: it does not look at running experiments (their steps, promotions and rollbacks are the serving
// replicas', counted in their metrics and logged with them), run queued jobs, or record traces.
import type { Logger } from 'pino';
import type { Registry } from '../registry/index.js';
import { createService, type Service } from '../serve/index.js';

/** The dashboard's service over `registry`: no model, no tracing, no experiment watcher, no jobs. */
export function dashboardService(registry: Registry, options: { web: string; logger: Logger }): Service {
  return createService({
    registry,
    backends: {},
    tracing: false,
    experiments: false,
    web: options.web,
    logger: options.logger,
  });
}
