// The service's routes over tasks and their versions: the tasks, one task's spec and labels, its
// versions (each with its method in words and why this service cannot serve it, when it cannot), the
// spec a version serves with, one version with its audit policy verdicts, and the one mutation, an
// admin's label move. Label history and rollback are library-routes.ts's; typed runs, the service's.
import type { Hono, MiddlewareHandler } from 'hono';
import { NotFoundError } from '../errors/index.js';
import { versionMethod, type PromptVersion, type Registry, type Scope } from '../registry/index.js';
import { taskSpec, type TaskSpec } from '../tasks/index.js';
import { actorOfKey } from './auth.js';
import { readBody } from './request-body.js';
import { labelMoveRequest } from './request-schemas.js';
import type { ServiceEnv } from './service-env.js';
import { inputTokenCounter, type Backends } from './task-model.js';
import { runsAnything, specReader, whyNotServed, whySpecNotServed } from './version-fit.js';

/**
 * Adds the task routes to the service's app. `judge`: the service has a judge for guards that need one;
 * `onLabelMoved` hears of a label move (to serve it at once).
 */
export function taskRoutes(
  app: Hono<ServiceEnv>,
  options: {
    registry: Registry;
    backends: Backends;
    scope: (name: Scope | Scope[]) => MiddlewareHandler<ServiceEnv>;
    judge: boolean;
    onLabelMoved: (task: string) => void;
  },
): void {
  const { registry, backends, scope } = options;
  app.get('/v1/tasks', scope('read'), async (context) => context.json({ data: await registry.listTasks() }));
  app.get('/v1/tasks/:name', scope('read'), async (context) => {
    const name = context.req.param('name');
    return context.json({ spec: await registry.getTask(name), labels: await registry.listLabels(name) });
  });
  // a version as the API shows it: with its method in words ("LoRA", "prefix", "hard prompt", …), and
  // why this service cannot run it when it cannot (a service with no model, the dashboard alone, says none)
  const described = async (version: PromptVersion, specOf: (id: string) => Promise<TaskSpec>) => {
    const notServed =
      whyNotServed(version, backends) ??
      (runsAnything(backends)
        ? whySpecNotServed(await specOf(version.specId), {
            judge: options.judge,
            countsInputTokens: inputTokenCounter(backends, version) !== undefined,
          })
        : undefined);
    return { ...version, method: versionMethod(version), ...(notServed && { notServed }) };
  };
  app.get('/v1/tasks/:name/versions', scope('read'), async (context) => {
    const task = await registry.getTask(context.req.param('name')); // an unknown task is a 404, not []
    const versions = await registry.listVersions(task.name);
    const specOf = specReader(registry);
    return context.json({ data: await Promise.all(versions.map((version) => described(version, specOf))) });
  });
  // the task spec a version serves with (its specId): guards, output, decoding beside its prompt
  // (with its defaults filled, as it is served: a spec stored in a short form diffs like any other)
  app.get('/v1/tasks/:name/specs/:id', scope('read'), async (context) => {
    const [name, id] = [context.req.param('name'), context.req.param('id')];
    const notFound = new NotFoundError(`task ${name} has no spec ${id}`, {
      code: 'REGISTRY_NO_SPEC',
      hint: "A version's specId names the spec it serves with: GET /v1/tasks/{name}/versions/{ref}.",
    });
    const spec = await registry.getSpec(id).catch((error: unknown) => {
      throw NotFoundError.isInstance(error) ? notFound : error;
    });
    if (spec.name !== name) throw notFound;
    const parsed = taskSpec.safeParse(spec);
    return context.json(parsed.success ? parsed.data : spec);
  });
  // one version adds the audit policy's verdict per label it guards (read, not moved)
  app.get('/v1/tasks/:name/versions/:ref', scope('read'), async (context) => {
    const version = await registry.resolveVersion(context.req.param('name'), context.req.param('ref'));
    const auditPolicy = await registry.auditPolicyVerdicts(version.task, version.id);
    return context.json({ ...(await described(version, specReader(registry))), auditPolicy });
  });
  // the one mutation: moving a label, admin only (protected labels are enforced by the registry too)
  app.put('/v1/tasks/:name/labels/:label', scope('admin'), async (context) => {
    const body = await readBody(
      context,
      labelMoveRequest,
      'Send { "version": <number, label or id prefix>, "reason": "..." }.',
    );
    const event = await registry.setLabel({
      task: context.req.param('name'),
      label: context.req.param('label'),
      reference: String(body.version),
      actor: actorOfKey(context),
      reason: body.reason ?? 'moved through the service',
      overridePolicy: body.overridePolicy,
    });
    options.onLabelMoved(context.req.param('name')); // this service serves the move at once
    return context.json(event);
  });
}
