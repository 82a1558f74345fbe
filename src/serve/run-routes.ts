// The service's routes over recorded runs (evaluations, optimizations, trainings): GET /v1/runs (newest
// first, filtered by task, kind and status, in pages), GET /v1/runs/{id} and GET /v1/runs/{id}/entries
// (an evaluation's examples, a training's steps, an optimization's trials, with a pass/fail filter), all
// `read` scope: runs belong to the registry, as versions do, not to a key. GET /v1/runs/{id}/compare/{other}
// compares two evaluations example by example with eval's paired test; GET /v1/runs/{id}/report is the
// run's HTML report (run-report.ts). POST /v1/runs/{id}/retire (admin) sets a finished run aside with a
// reason, so no audit policy counts it.
import type { Hono, MiddlewareHandler } from 'hono';
import { ValidationError } from '../errors/index.js';
import { compareReports, type ComparedReport } from '../eval/index.js';
import type { Registry, Scope } from '../registry/index.js';
import { parseQuery } from './request-query.js';
import { runReportHtml } from './run-report.js';
import { runEntryQuery, runQuery, runRetireRequest } from './request-schemas.js';
import { readBody } from './request-body.js';
import { actorOfKey } from './auth.js';
import type { ServiceEnv } from './service-env.js';

/** An evaluation run as compareReports reads it: its model, score and every example's content id and score. */
async function comparedRun(registry: Registry, id: string): Promise<ComparedReport> {
  const run = await registry.runs.get(id);
  if (run.kind !== 'evaluation')
    throw new ValidationError(
      `run ${id} is ${run.kind === 'optimization' ? 'an' : 'a'} ${run.kind}, not an evaluation`,
      {
        code: 'COMPARE_NOT_EVALUATION',
        hint: 'Compare two evaluation runs of the same task and split.',
      },
    );
  const examples = await registry.runs.allEntries(id, 'example');
  return {
    model: String(run.config.model ?? ''),
    score: typeof run.summary?.score === 'number' ? run.summary.score : 0,
    examples: examples.map((entry) => ({
      // an example's content id pairs it across runs; entries without one pair by position
      id: typeof entry.data.id === 'string' ? entry.data.id : `#${entry.position}`,
      line: Number(entry.data.line ?? entry.position + 1),
      score: entry.score ?? 0,
    })),
  };
}

/** Adds the run routes to the service's app. */
export function runRoutes(
  app: Hono<ServiceEnv>,
  options: {
    registry: Registry;
    scope: (name: Scope | Scope[]) => MiddlewareHandler<ServiceEnv>;
  },
): void {
  const { registry, scope } = options;

  app.get('/v1/runs', scope('read'), async (context) => {
    const query = parseQuery(runQuery, context.req.query());
    const { limit, after, ...filter } = query;
    return context.json(await registry.runs.list(filter, { limit, after }));
  });

  app.get('/v1/runs/:id', scope('read'), async (context) =>
    context.json(await registry.runs.get(context.req.param('id'))),
  );

  app.post('/v1/runs/:id/retire', scope('admin'), async (context) => {
    const body = await readBody(context, runRetireRequest, 'Send { "reason": "why it no longer counts" }.');
    return context.json(
      await registry.retireRun(context.req.param('id'), { actor: actorOfKey(context), reason: body.reason }),
    );
  });

  app.get('/v1/runs/:id/report', scope('read'), async (context) =>
    context.html(await runReportHtml(registry, context.req.param('id'))),
  );

  app.get('/v1/runs/:id/compare/:other', scope('read'), async (context) => {
    const [a, b] = await Promise.all([
      comparedRun(registry, context.req.param('id')),
      comparedRun(registry, context.req.param('other')),
    ]);
    return context.json(compareReports(a, b));
  });

  app.get('/v1/runs/:id/entries', scope('read'), async (context) => {
    const query = parseQuery(runEntryQuery, context.req.query());
    const passed = query.passed === undefined ? undefined : query.passed === 'true';
    return context.json(
      await registry.runs.entries(context.req.param('id'), query.kind, {
        limit: query.limit,
        after: query.after,
        passed,
      }),
    );
  });
}
