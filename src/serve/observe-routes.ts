// The service's routes over its own record: POST /v1/feedback (a score on a response, `run` scope, a
// key's own responses unless it is admin), GET /v1/traces and /v1/traces/{id} (`read` scope; a key that
// is not admin sees only its own traces), GET /v1/monitor (aggregates), GET /v1/drift (a served
// version's traffic against its training data) and GET /v1/alerts (rules, their states and history),
// all `read` scope. Query strings
// and bodies are read through schemas. The aggregation itself lives in observe.
import type { Hono, MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import { NotFoundError, PromptuneError, ValidationError } from '../errors/index.js';
import { checkCorrection } from '../review/index.js';
import { taskSpec } from '../tasks/index.js';
import {
  monitor,
  parseWindow,
  timeWindow,
  trainingDataDrift,
  scoreCorrection,
  checkTaskFilter,
  versionFilter,
  type AlertRules,
  type TraceRecorder,
} from '../observe/index.js';
import { seededRandom } from '../engine/index.js';
import type { Registry, Scope, TraceFilter, TraceRecord } from '../registry/index.js';
import { accessKeyOf } from './auth.js';
import { readBody, RequestBodyError } from './request-body.js';
import { parseQuery } from './request-query.js';
import { driftQuery, feedbackRequest, monitorQuery, noQuery, traceQuery } from './request-schemas.js';
import type { ServiceEnv } from './service-env.js';

/** The window [since, until) of a query: `since` defaults to 24 hours ago, `until` to now. */
const timeRange = (query: { since?: string; until?: string }) => timeWindow(query, Date.now());

/**
 * How long feedback waits for its trace: another replica may have answered the response and still hold
 * its trace in memory (its recorder writes every 100 ms by default), or be writing it.
 */
const TRACE_WAIT_MS = 2_000;
const TRACE_POLL_MS = 100;

/**
 * `work` (which needs a trace), tried again while the trace is not found, for up to TRACE_WAIT_MS: a
 * response answered by another replica moments ago has its trace written by that replica. A trace still
 * missing then is refused as before (an id no replica answered, another key's, or one sampled out),
 * each after the same wait, so that the time of a refusal does not tell another key's ids from none.
 */
async function whileTraceWritten<T>(work: () => Promise<T>): Promise<T> {
  const until = Date.now() + TRACE_WAIT_MS;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (!PromptuneError.isInstance(error) || error.code !== 'TRACE_NOT_FOUND' || Date.now() >= until)
        throw error;
      await new Promise((resolve) => setTimeout(resolve, TRACE_POLL_MS));
    }
  }
}

/** Refuses a correction the trace's task could not have answered (SCORE_INVALID, param correction). */
async function checkFeedbackCorrection(
  registry: Registry,
  trace: TraceRecord,
  correction: unknown,
): Promise<void> {
  if (trace.task === null || trace.version === null)
    throw new RequestBodyError(
      `feedback on ${trace.id}: no version answered that request, so there is nothing to correct`,
      {
        code: 'SCORE_INVALID',
        hint: 'Send a correction only on a response a task answered (it was refused before any version ran); a score without one is fine.',
        param: 'correction',
      },
    );
  const version = await registry.resolveVersion(trace.task, trace.version);
  const spec = taskSpec.safeParse(await registry.getSpec(version.specId));
  if (!spec.success) return;
  try {
    checkCorrection(spec.data, correction);
  } catch (error) {
    if (!ValidationError.isInstance(error)) throw error;
    throw new RequestBodyError(`feedback on ${trace.id}: ${error.message}`, {
      code: 'SCORE_INVALID',
      hint: error.hint,
      param: 'correction',
    });
  }
}

/** Adds the observation routes to the service's app. */
export function observeRoutes(
  app: Hono<ServiceEnv>,
  options: {
    registry: Registry;
    recorder: TraceRecorder | undefined;
    logger: Logger;
    alerts: { rules: AlertRules } | undefined;
    scope: (name: Scope | Scope[]) => MiddlewareHandler<ServiceEnv>;
  },
): void {
  const { registry, recorder, scope, alerts, logger } = options;

  app.post('/v1/feedback', scope('run'), async (context) => {
    const body = await readBody(
      context,
      feedbackRequest,
      'Send { "id": "<response id>", "name": "helpful", "value": true, "comment"?: "...", "correction"?: ... }.',
    );
    const key = accessKeyOf(context)!;
    // feedback often follows its response within milliseconds: write the trace first if still queued
    if (recorder?.isQueued(body.id)) await recorder.flush();
    // a correction must be what the task answers (its text, one of its labels, JSON of its schema):
    // checked against the trace's version, and only on the key's own traces (others are refused below)
    if (body.correction !== undefined)
      await whileTraceWritten(async () => {
        const trace = await registry.traces.get(body.id);
        if (trace.keyId === key.id || key.scopes.includes('admin'))
          await checkFeedbackCorrection(registry, trace, body.correction);
      });
    // feedback is stored under the same redaction rules as the traces it scores
    const redactor = recorder?.redactor;
    const score = await whileTraceWritten(() =>
      registry.scores.add(
        {
          traceId: body.id,
          name: body.name,
          value: typeof body.value === 'string' && redactor ? redactor.redact(body.value) : body.value,
          source: 'feedback',
          comment: body.comment === undefined || !redactor ? body.comment : redactor.redact(body.comment),
          correction:
            body.correction === undefined || !redactor
              ? body.correction
              : redactor.redactValue(body.correction),
          keyId: key.id,
        },
        key.scopes.includes('admin') ? {} : { onlyKey: key.id },
      ),
    );
    // a correction is a reference: the task's metrics score the served output against it
    if (score.correction !== null)
      await registry.traces
        .get(body.id)
        .then((trace) => scoreCorrection(registry, trace, score.correction))
        .catch((error: unknown) =>
          logger.warn({ err: error, trace: body.id }, 'could not score the output against its correction'),
        );
    return context.json(score, 201);
  });

  app.get('/v1/traces', scope('read'), async (context) => {
    const query = parseQuery(traceQuery, context.req.query());
    const key = accessKeyOf(context)!;
    const filter: TraceFilter = {
      task: query.task,
      run: query.run,
      version: await versionFilter(registry, query.task, query.version),
      label: query.label,
      ...(query.since === undefined && query.until === undefined ? {} : timeRange(query)),
      ...(query.error === undefined
        ? {}
        : { error: query.error === 'any' || query.error === 'true' ? true : query.error }),
      ...(query.score === undefined
        ? {}
        : { score: { name: query.score, minimum: query.score_min, maximum: query.score_max } }),
      ...(query.guard === undefined ? {} : { guardFailed: query.guard === 'any' ? true : query.guard }),
      ...(key.scopes.includes('admin') ? {} : { keyId: key.id }),
    };
    const page = await registry.traces.list(filter, { limit: query.limit, after: query.after });
    if (query.after === undefined) await checkTaskFilter(registry, query.task, page.data.length);
    return context.json(page);
  });

  app.get('/v1/traces/:id', scope('read'), async (context) => {
    const key = accessKeyOf(context)!;
    const trace = await registry.traces.get(context.req.param('id'));
    // another key's trace is as absent as a missing one: ids are not to be probed
    if (!key.scopes.includes('admin') && trace.keyId !== key.id)
      throw new NotFoundError(`no trace ${context.req.param('id')}`, {
        code: 'TRACE_NOT_FOUND',
        hint: 'A key reads only the traces of its own requests, unless it has the admin scope.',
      });
    return context.json(trace);
  });

  // this service's rules with their states, and the states of rules other services on the registry
  // evaluate (all of them for a service without rules, such as the dashboard's): the registry holds
  // every evaluator's states
  app.get('/v1/alerts', scope('read'), async (context) => {
    parseQuery(noQuery, context.req.query());
    const rules = alerts?.rules.rules ?? [];
    const shared = alerts?.rules.webhooks.length ?? 0;
    const stored = await registry.alerts.load();
    const statuses = new Map(stored.map((status) => [status.rule, status]));
    const names = new Set(rules.map((rule) => rule.name));
    return context.json({
      rules: rules.map((rule) => ({
        ...rule,
        webhooks: shared + rule.webhooks.length,
        status: statuses.get(rule.name) ?? null,
      })),
      elsewhere: stored.filter((status) => !names.has(status.rule)),
      history: await registry.alerts.history({ limit: 100 }),
    });
  });

  // the served version's traffic in the window against the dataset it was tuned on, as `promptune drift`
  app.get('/v1/drift', scope('read'), async (context) => {
    const query = parseQuery(driftQuery, context.req.query());
    const now = Date.now();
    const window = { since: now - parseWindow(query.window ?? '24h', 'window'), until: now + 1 };
    if (recorder) await recorder.flush(); // what this replica answered is in the window
    const { version, spec, reference, report } = await trainingDataDrift(registry, query, window, {
      alpha: query.alpha,
      rng: seededRandom(0),
    });
    return context.json({
      task: spec.name,
      version: { id: version.id, number: version.number },
      reference: reference.dataset,
      ...window,
      report,
    });
  });

  app.get('/v1/monitor', scope('read'), async (context) => {
    const query = parseQuery(monitorQuery, context.req.query());
    const range = timeRange(query);
    if (recorder) await recorder.flush(); // what this replica answered is in the aggregates
    const report = await monitor(registry, {
      task: query.task,
      version: await versionFilter(registry, query.task, query.version),
      label: query.label,
      window: query.window,
      source: query.source,
      ...range,
    });
    await checkTaskFilter(registry, query.task, report.groups.length);
    // categories nobody declared are free text a user typed: only admins see them
    if (!accessKeyOf(context)!.scopes.includes('admin')) {
      const declared = new Set(
        (await registry.scores.listConfigs())
          .filter((config) => config.categories?.length)
          .map((config) => config.name),
      );
      for (const group of report.groups)
        for (const [name, summary] of Object.entries(group.scores))
          if (summary.kind === 'categorical' && !declared.has(name)) summary.categories = {};
    }
    return context.json(report);
  });
}
