// The service's experiment routes: list and read experiments (with the statistics a look would decide
// on now, and every stored look), start one on a label, stop one, and look at one at once (admin). The
// service's watcher looks at every running experiment on its own; these are for people and scripts.
import type { Hono, MiddlewareHandler } from 'hono';
import {
  assessExperiment,
  lookAtExperiment,
  startExperiment,
  stopExperiment,
  unknownPrimaryWarning,
  type LookResult,
} from '../experiments/index.js';
import type { PromptVersion, Registry, Scope } from '../registry/index.js';
import type { TaskSpec } from '../tasks/index.js';
import { actorOfKey } from './auth.js';
import { readBody } from './request-body.js';
import { parseQuery } from './request-query.js';
import { experimentListQuery, experimentStartRequest, experimentStopRequest } from './request-schemas.js';
import type { ServiceEnv } from './service-env.js';

/** Adds the experiment routes; `onChanged` hears of a task whose traffic split changed (to serve it at once). */
export function experimentRoutes(
  app: Hono<ServiceEnv>,
  options: {
    registry: Registry;
    scope: (name: Scope | Scope[]) => MiddlewareHandler<ServiceEnv>;
    onChanged: (task: string) => void;
    /** Hears of a step a look applied (advance, promote, rollback, stop), as the watcher's are. */
    onStep?: (result: LookResult) => void;
    /** Why this service could not serve a version (its backends, its judge), or undefined. */
    whyNotServed: (version: PromptVersion, spec: TaskSpec) => string | undefined;
  },
): void {
  const { registry, scope } = options;

  app.get('/v1/experiments', scope('read'), async (context) => {
    const query = parseQuery(experimentListQuery, context.req.query());
    return context.json({ data: await registry.experiments.list(query) });
  });

  app.post('/v1/experiments', scope('admin'), async (context) => {
    const body = await readBody(
      context,
      experimentStartRequest,
      'Send { "task": "<task>", "treatment": <version>, "primary": "<score name>" } and optionally label, guardrails, schedule, promoteWhen, margin, alpha.',
    );
    const { task, treatment, label, reason, ...config } = body;
    const experiment = await startExperiment(registry, {
      task,
      treatment: String(treatment),
      label,
      reason,
      config,
      actor: actorOfKey(context),
      whyNotServed: options.whyNotServed,
    });
    options.onChanged(task);
    const warning = await unknownPrimaryWarning(registry, task, config.primary);
    return context.json({ ...experiment, ...(warning && { warnings: [warning] }) }, 201);
  });

  app.get('/v1/experiments/:id', scope('read'), async (context) => {
    const experiment = await registry.experiments.get(context.req.param('id'));
    const events = await registry.experiments.events(experiment.id);
    // what a look would decide on now, and why (stored looks are at most one a minute while it holds)
    if (experiment.status !== 'running') return context.json({ experiment, events });
    const { statistics, decision } = await assessExperiment(registry, experiment);
    return context.json({
      experiment,
      events,
      now: statistics,
      decision: { action: decision.action, reason: decision.reason },
    });
  });

  app.post('/v1/experiments/:id/stop', scope('admin'), async (context) => {
    const body = await readBody(context, experimentStopRequest, 'Send { "reason": "..." } (optional).', {
      whenEmpty: {},
    });
    const experiment = await stopExperiment(registry, context.req.param('id'), {
      actor: actorOfKey(context),
      reason: body.reason,
    });
    options.onChanged(experiment.task);
    return context.json(experiment);
  });

  app.post('/v1/experiments/:id/look', scope('admin'), async (context) => {
    const result = await lookAtExperiment(registry, context.req.param('id'));
    options.onChanged(result.experiment.task);
    if (result.action !== 'hold' && result.action !== 'none') options.onStep?.(result);
    return context.json(result);
  });
}
