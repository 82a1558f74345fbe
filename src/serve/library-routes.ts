// The service's routes over the rest of the prompt library, for the dashboard and any client: who the
// key is (GET /v1/me), a label's history and its rollback (admin), and a task's stored datasets with
// their rows (searched, in pages) and statistics. Datasets are content-addressed, so a parsed one is
// kept (a few at a time) and never goes stale.
import type { Hono, MiddlewareHandler } from 'hono';
import { NotFoundError } from '../errors/index.js';
import type { Registry, Scope } from '../registry/index.js';
import { datasetStats, exampleShape, findDuplicates, parseExamples, type Example } from '../tasks/index.js';
import { accessKeyOf, actorOfKey } from './auth.js';
import { parseQuery } from './request-query.js';
import { readBody } from './request-body.js';
import { datasetRowQuery, labelRollbackRequest } from './request-schemas.js';
import type { ServiceEnv } from './service-env.js';

const keptDatasets = 8;

/** Adds the library routes to the service's app; `onLabelMoved` hears of a rollback (to serve it at once). */
export function libraryRoutes(
  app: Hono<ServiceEnv>,
  options: {
    registry: Registry;
    scope: (name: Scope | Scope[]) => MiddlewareHandler<ServiceEnv>;
    onLabelMoved: (task: string) => void;
  },
): void {
  const { registry, scope } = options;
  const parsed = new Map<string, Example[]>();

  async function examplesOf(task: string, id: string): Promise<Example[]> {
    const spec = await registry.getTask(task); // an unknown task is a 404, cached or not
    const key = `${spec.name}:${id}`;
    const kept = parsed.get(key);
    if (kept) return kept;
    const dataset = (await registry.listDatasets(spec.name)).find((candidate) => candidate.id === id);
    if (!dataset)
      throw new NotFoundError(`task ${spec.name} has no dataset ${id}`, {
        code: 'DATASET_NOT_FOUND',
        hint: `Data is stored when its task is pushed with it (registry push, optimize --push, soft train --push); the stored ones are at GET /v1/tasks/${spec.name}/datasets.`,
      });
    const examples = parseExamples(await registry.getBlob(dataset.blob), dataset.name, {
      ...exampleShape(spec),
      targetOptional: true,
    });
    if (parsed.size >= keptDatasets) parsed.delete(parsed.keys().next().value!);
    parsed.set(key, examples);
    return examples;
  }

  app.get('/v1/me', scope(['read', 'run', 'review']), (context) => {
    const key = accessKeyOf(context)!;
    return context.json({ name: key.name, scopes: key.scopes });
  });

  app.get('/v1/tasks/:name/labels/:label/history', scope('read'), async (context) => {
    const task = await registry.getTask(context.req.param('name'));
    const label = context.req.param('label');
    const history = await registry.labelHistory(task.name, label);
    // a label never set is not one with no moves yet
    if (
      history.length === 0 &&
      !(await registry.listLabels(task.name)).some((entry) => entry.label === label)
    )
      throw new NotFoundError(`${task.name}@${label} is not set`, {
        code: 'REGISTRY_NO_VERSION',
        hint: `The task's labels are listed by GET /v1/tasks/${task.name}.`,
      });
    return context.json({ data: history });
  });

  app.post('/v1/tasks/:name/labels/:label/rollback', scope('admin'), async (context) => {
    // why, kept in the label's history (it was dropped unread: a rollback is when a reason matters most)
    const body = await readBody(context, labelRollbackRequest, 'Send { "reason": "..." }, or no body.', {
      whenEmpty: {},
    });
    await registry.getTask(context.req.param('name')); // an unknown task is a 404
    const move = await registry.rollback({
      task: context.req.param('name'),
      label: context.req.param('label'),
      actor: actorOfKey(context),
      reason: body.reason,
    });
    options.onLabelMoved(context.req.param('name'));
    return context.json(move);
  });

  app.get('/v1/tasks/:name/dataset-versions', scope('read'), async (context) => {
    const task = await registry.getTask(context.req.param('name'));
    return context.json({ data: await registry.datasetVersions.list(task.name) });
  });

  app.get('/v1/tasks/:name/datasets', scope('read'), async (context) => {
    const task = await registry.getTask(context.req.param('name'));
    const datasets = await registry.listDatasets(task.name);
    return context.json({ data: datasets.map(({ blob: _blob, ...dataset }) => dataset) });
  });

  app.get('/v1/tasks/:name/datasets/:id/rows', scope('read'), async (context) => {
    const query = parseQuery(datasetRowQuery, context.req.query());
    const examples = await examplesOf(context.req.param('name'), context.req.param('id'));
    const needle = query.q?.toLowerCase();
    // the values people see (field names and JSON escapes are not searched)
    const matched = needle
      ? examples.filter((example) =>
          [...Object.values(example.fields), example.target]
            .map((value) => (typeof value === 'string' ? value : JSON.stringify(value ?? '')))
            .join('\n')
            .toLowerCase()
            .includes(needle),
        )
      : examples;
    const offset = query.offset ?? 0;
    const rows = matched.slice(offset, offset + (query.limit ?? 50));
    return context.json({
      total: examples.length,
      matched: matched.length,
      offset,
      data: rows.map(({ index, line, fields, target, id }) => ({ index, line, fields, target, id })),
    });
  });

  app.get('/v1/tasks/:name/datasets/:id/stats', scope('read'), async (context) => {
    const examples = await examplesOf(context.req.param('name'), context.req.param('id'));
    return context.json({ ...datasetStats(examples), duplicateGroups: findDuplicates(examples) });
  });
}
