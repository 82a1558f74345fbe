// The promptune service: OpenAI-compatible completions where `model` is a registry task (task,
// task@label, task@version), typed task runs, OpenAPI, health, readiness and Prometheus metrics (the
// task and version endpoints and the admin-only label move are task-routes.ts's). Hard prompts run on
// the backend model, soft prompts on the engine worker (mixed-task batches). Keys, scopes, rate and size limits guard
// /v1; every body is read through a schema; every response carries x-request-id, which the request's
// log line (pino) and any internal error's log line and 500 body name. Every model request is traced
// into the registry off the request path (observe-routes.ts serves feedback, traces, monitor and
// alerts), with OpenTelemetry spans when configured and alert rules evaluated inside. run-routes.ts and
// library-routes.ts serve runs, label history and rollback, and datasets; experiment-routes.ts and
// job-routes.ts experiments and jobs; web-assets.ts the dashboard. A label with a running experiment is
// split per request (served-versions.ts), and the service looks at its experiments and, when asked,
// runs the registry's job queue; on Postgres it hears other replicas' changes (change notices).
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import pino, { type Logger } from 'pino';
import { NotFoundError } from '../errors/index.js';
import {
  isConnectionLost,
  type ChangeListener,
  type Registry,
  type Scope,
  type TraceRecord,
} from '../registry/index.js';
import { callCost, defaultPrices, type Price, type PricedModel } from '../eval/index.js';
import { accessKeyOf, KeyVerifier, RateLimiter, requireScope, type KeyRateLimit } from './auth.js';
import { clientSignal, spentBy } from './client-signal.js';
import type { EngineInfo } from './engine-client.js';
import { errorResponse, ServiceError } from './errors.js';
import { ServiceMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { openAiRoutes } from './openai-routes.js';
import { readBody } from './request-body.js';
import { requestContext } from './request-context.js';
import { typedRunRequest } from './request-schemas.js';
import { answeredWithin, checkRegistry } from './registry-check.js';
import { parseModelName, ServedVersions } from './served-versions.js';
import { runsAnything, servedNames, whyNotServed, whySpecNotServed } from './version-fit.js';
import type { ServiceEnv } from './service-env.js';
import {
  checkFields,
  inputTokenCounter,
  runFields,
  taskModel,
  type Backends,
  type RequestListeners,
  type ServedVersion,
} from './task-model.js';
import { fixedInputOnTrace, requestChecks, scoreGuardedTraces } from './service-guards.js';
import { typedOutput } from './typed-output.js';
import { tracing } from './request-trace.js';
import { observeRoutes } from './observe-routes.js';
import { runRoutes } from './run-routes.js';
import { libraryRoutes } from './library-routes.js';
import { taskRoutes } from './task-routes.js';
import { reviewRoutes } from './review-routes.js';
import { experimentRoutes } from './experiment-routes.js';
import { jobRoutes } from './job-routes.js';
import { RegistryJobWorker } from '../jobs/index.js';
import { ExperimentWatcher, type LookResult } from '../experiments/index.js';
import { webAssets } from './web-assets.js';
import {
  TraceRecorder,
  type AlertRules,
  type DriftReader,
  OnlineEvaluation,
  type OnlineEvaluator,
  type Telemetry,
  type TraceRecorderOptions,
  type TraceSink,
} from '../observe/index.js';
import { generationRecord, requestRecord } from './telemetry-records.js';
import { startAlerts, type ServiceAlerts } from './service-alerts.js';

/** How the service is set up. */
export interface ServiceOptions {
  registry: Registry;
  backends: Backends;
  limits?: {
    /** Largest request body in bytes (default 1 MB). */
    bodyBytes?: number;
    /** Largest max_tokens a request may ask for (default 1024). */
    maxTokens?: number;
    /**
     * Requests per minute per key, unless the key sets its own (default 600; with a rateLimiter, the
     * rate it was made with).
     */
    ratePerMinute?: number;
    /**
     * Where keys' requests are counted (default: this service's own buckets at ratePerMinute); a
     * SharedRateLimiter counts them in Redis for every replica using it. Closed by drain.
     */
    rateLimiter?: KeyRateLimit;
  };
  /**
   * Tracing of model requests into the registry (on by default): how the recorder samples, buffers
   * and redacts and where it writes (default: the registry, in this thread), or `false` for none. A
   * recorder given here is used as it is (and closed by drain).
   */
  tracing?: (TraceRecorderOptions & { sink?: TraceSink }) | TraceRecorder | false;
  /** OpenTelemetry spans and GenAI metrics for requests and model calls (Telemetry.fromEnvironment). */
  telemetry?: Telemetry;
  /**
   * Online evaluation: evaluators (an LLM judge, any function) run in the background on a sample of the
   * stored traces, their results scores with source `evaluator`. Needs tracing.
   */
  evaluation?: { evaluators: OnlineEvaluator[]; sampleRate?: number };
  /**
   * What traces' costs are computed with: dollars per million tokens by model (default: eval's
   * built-in table) and the hard-prompt backend as priced (named as resolveModel names it). Soft
   * prompts and the local engine cost nothing; an unknown price leaves the cost empty.
   */
  pricing?: { prices?: Record<string, Price>; hard?: PricedModel };
  /** Alert rules evaluated inside the service (with how to read the drift metric, if rules use it). */
  alerts?: { rules: AlertRules; drift?: DriftReader };
  /** The model that `judge` validators in served specs ask (any provider). */
  guardJudge?: LanguageModelV3;
  /**
   * Looking at running experiments (canary steps, promotion, rollback) from inside the service, every
   * `intervalMs` (default 10 s), or `false` to leave it to another process. Replicas may all look.
   */
  experiments?: { intervalMs?: number } | false;
  /**
   * Running the registry queue's jobs (evaluations, optimizations, training, audits submitted with
   * `promptune job submit`) from this service, `concurrency` at once; off by default.
   */
  jobs?: { concurrency?: number };
  /** The built dashboard's folder (dashboardDirectory()), served at `/`; none when undefined. */
  web?: string;
  /**
   * Where requests and failures are logged (a pino logger). Default: internal errors only (a bug's
   * stack), not every request, unless LOG_LEVEL says otherwise (`promptune serve` logs at info).
   */
  logger?: Logger;
  metrics?: ServiceMetrics;
}

/** A built service: its app, its metrics, and a drain for graceful shutdown. */
export interface Service {
  app: Hono<ServiceEnv>;
  metrics: ServiceMetrics;
  /** The recorder of request traces (undefined when tracing is off). */
  recorder: TraceRecorder | undefined;
  /** Alerting, when rules were given. */
  alerts: ServiceAlerts | undefined;
  /** The watcher of running experiments (undefined when turned off). */
  experiments: ExperimentWatcher | undefined;
  /**
   * Logs a failure of background work beside the service (trace pruning) as its own loops do: a lost
   * registry connection once a minute as a warning, anything else at `level` with its stack.
   */
  logFailure(level: 'warn' | 'error', error: unknown, message: string): void;
  /**
   * Says the service is stopping before it stops accepting: /ready answers 503 draining and answers close
   * their kept-alive connections, while new requests are still served (drain begins it too).
   */
  beginDraining(): void;
  /**
   * Resolves when no request is in flight and every trace is written (call after the server stops
   * accepting). A registry database that is away is waited for up to tracing's `closeWaitMs` (5 s);
   * traces still unwritten then are lost, and logged as an error (TRACES_NOT_WRITTEN).
   */
  drain(): Promise<void>;
}

const taskOf = (context: Context<ServiceEnv>): string => context.get('task') ?? '';

/** What /ready tells anyone about the engine: the model's file or folder name, never where it lives. */
function publicEngineInfo(info: EngineInfo) {
  return {
    model: info.name,
    architecture: info.architecture,
    parameters: info.parameters,
    contextLength: info.contextLength,
    hiddenSize: info.hiddenSize,
    kernels: info.kernels,
  };
}

/** Builds the service. */
export function createService(options: ServiceOptions): Service {
  const { registry, backends } = options;
  const logger = options.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'error' });
  const metrics = options.metrics ?? new ServiceMetrics({ processMetrics: true });
  // on Postgres, change notices from every replica tell this one of label moves, experiment steps and
  // revoked keys at once; caches then only back them up, and stay short whenever no notices arrive
  let listener: ChangeListener | undefined;
  const listening = () => listener?.connected === true;
  // a lost registry connection (a Postgres restart) is said once a minute per kind of work, without its
  // stack: each of the background loops below meets it every second, which had buried the log
  const outageSaid = new Map<string, number>();
  const logFailure = (
    level: 'warn' | 'error',
    error: unknown,
    message: string,
    fields: Record<string, unknown> = {},
  ) => {
    if (!isConnectionLost(error)) return logger[level]({ ...fields, err: error }, message);
    const now = Date.now();
    if (now - (outageSaid.get(message) ?? -Infinity) < 60_000) return;
    outageSaid.set(message, now);
    logger.warn(
      { ...fields, error: error instanceof Error ? error.message : String(error) },
      `${message}: the registry's database is unreachable (said once a minute while it is)`,
    );
  };
  const versions = new ServedVersions(
    registry,
    () => (listening() ? 10_000 : 1000),
    options.guardJudge,
    (version) => inputTokenCounter(backends, version),
    // a version an earlier release stored with guards today's spec files may not say is served as it was
    (version, message) =>
      logger.warn({ task: version.task, version: version.number }, `served as stored: ${message}`),
  );
  const verifier = new KeyVerifier(registry, () => (listening() ? 30_000 : 5000));
  const changes = registry
    .listen({
      onChange: (change) => {
        if (change.kind === 'key') verifier.forget();
        else if (change.task) versions.forget(change.task);
        else versions.forgetAll();
      },
      onGap: () => {
        versions.forgetAll();
        verifier.forget();
      },
      onError: (error) =>
        logFailure('warn', error, 'the registry change listener failed; caches expire in a second meanwhile'),
    })
    .then((opened) => (listener = opened))
    .catch((error: unknown) => {
      logger.warn({ err: error }, 'could not listen for registry changes; caches expire in a second');
      return undefined;
    });
  const limiter: KeyRateLimit =
    options.limits?.rateLimiter ?? new RateLimiter(options.limits?.ratePerMinute ?? 600);
  // a rate given beside a limiter is the rate: the limiter's own (SharedRateLimiter.open's) had silently won
  const scope = (name: Scope | Scope[]) =>
    requireScope(name, verifier, limiter, options.limits?.ratePerMinute);
  const traceOptions = options.tracing;
  const recorder =
    traceOptions === false
      ? undefined
      : traceOptions instanceof TraceRecorder
        ? traceOptions
        : new TraceRecorder(traceOptions?.sink ?? registry.traces, {
            ...traceOptions,
            // the caller's own listener hears them too (the log line had replaced it)
            onError: (error) => {
              traceOptions?.onError?.(error);
              logFailure('error', error, 'could not write traces');
            },
          });
  if (recorder) metrics.watchTraces(() => recorder.stats);
  // a registry that cannot answer leaves the gauge empty rather than failing the whole scrape
  metrics.watchExperiments(() =>
    registry.experiments.list({ status: 'running' }).then(
      (running) => running.map(({ task, label, weight }) => ({ task, label, weight })),
      () => [],
    ),
  );
  const engine = backends.engine;
  if (engine) {
    metrics.watchAdapters(() => engine.adapters);
    metrics.watchPrefixes(() => engine.prefixes);
  }
  // a running job silent for a minute: its worker's heartbeat is every second
  // a scrape waits for the registry no longer than a probe does (Prometheus gives up on it after 10 s)
  metrics.watchJobs(() => answeredWithin(registry.jobs.counts({ silentMs: 60_000 })));
  const evaluation =
    recorder && options.evaluation
      ? new OnlineEvaluation(registry.scores, options.evaluation.evaluators, {
          sampleRate: options.evaluation.sampleRate,
          onError: (error, evaluator, trace) =>
            logger.warn({ err: error, evaluator, trace: trace.id }, 'an online evaluator failed'),
        })
      : undefined;
  if (evaluation) recorder!.onWritten((batch) => evaluation.offer(batch));
  if (recorder) scoreGuardedTraces(recorder, registry.scores, logger);
  const telemetry = options.telemetry;
  // requests whose trace has not ended: a stream outlives its handler, and drain waits for it
  let openTraces = 0;
  /**
   * A request refused before its task was resolved (a body that does not parse or fit, a parameter out
   * of range) is still its task's when it named one the registry has: the task's error rate, its
   * traces filter and its alerts count it. The name is the route's or the body's `model`.
   */
  const nameRefusedTask = async (context: Context<ServiceEnv>) => {
    // a body refused for its size is not read again
    if (context.res.status < 400 || context.res.status === 413 || context.get('task')) return;
    let name = context.get('trace')?.model ?? undefined;
    if (!name) {
      try {
        const body = JSON.parse(await context.req.text()) as { model?: unknown } | null;
        if (typeof body?.model === 'string') name = body.model;
      } catch {
        return; // not JSON: it named nothing
      }
    }
    if (!name) return;
    let task: string;
    try {
      task = parseModelName(name).task;
    } catch {
      return;
    }
    if (
      await registry.getTask(task).then(
        () => true,
        () => false,
      )
    )
      context.set('task', task);
  };
  const traced = (operation: TraceRecord['operation']) => {
    const middleware = tracing(operation, record);
    return async (context: Context<ServiceEnv>, next: () => Promise<void>) => {
      openTraces++;
      return middleware(context, async () => {
        await next();
        await nameRefusedTask(context);
      });
    };
  };
  const prices = options.pricing?.prices ?? defaultPrices;
  const hardPriced: PricedModel =
    options.pricing?.hard ??
    (backends.hard && backends.hard.provider !== 'promptune.local'
      ? { provider: backends.hard.provider, modelId: backends.hard.modelId }
      : { provider: 'local', modelId: 'engine' }); // the local engine: self-hosted, free
  /** A request's log line and metrics, once it is over (a stream's when it ends). */
  const requestEnded = (
    context: Context<ServiceEnv>,
    status: number,
    code: string | null | undefined,
    milliseconds: number,
  ) => {
    const route = context.req.routePath;
    metrics.duration.observe({ route, task: taskOf(context), status: String(status) }, milliseconds / 1000);
    if (status >= 400) metrics.errors.inc({ route, task: taskOf(context), code: code ?? String(status) });
    logger.info(
      {
        requestId: context.get('requestId'),
        method: context.req.method,
        path: context.req.path,
        status,
        ms: Math.round(milliseconds * 10) / 10,
        key: accessKeyOf(context)?.id,
        task: taskOf(context) || undefined,
        version: context.get('version'),
        code: code ?? undefined,
      },
      'request',
    );
  };
  const record = (trace: TraceRecord, context: Context<ServiceEnv>) => {
    openTraces--;
    // a stream's status is how it ended (an error after its 200, 499 for a client that left)
    if (context.get('trace')?.streaming)
      requestEnded(context, trace.status, trace.errorCode, trace.latencyMs);
    const priced = context.get('soft') ? { provider: 'local', modelId: 'engine' } : hardPriced;
    if (trace.version !== null)
      trace.cost = callCost(priced, trace.inputTokens, trace.outputTokens, prices) ?? null;
    recorder?.record(trace);
    telemetry?.record(requestRecord(context, trace.latencyMs), generationRecord(trace));
  };
  if (backends.engine)
    backends.engine.onResult = (result) => {
      metrics.batchSize.observe(result.batchSize);
      metrics.engineQueue.observe(result.queueSeconds);
    };
  /**
   * Resolves a model name for a traced request. When it names a task that exists but not one of its
   * versions (task@gone), nameRefusedTask (in `traced`) still makes the failure that task's.
   */
  const resolveServed = (name: string, context: Context<ServiceEnv>) => {
    // an experiment's unit: the end user when the request names one, else the key
    const unit = context.get('trace')?.user ?? accessKeyOf(context)?.id;
    // the arm's version is the trace's before it is loaded: a treatment that cannot be served is its error
    return versions.resolveNamed(name, unit ?? undefined, (pick) => {
      context.set('arm', `${pick.arm.experiment}:${pick.arm.arm}`);
      context.set('task', pick.task);
      context.set('version', pick.version);
      const trace = context.get('trace');
      if (trace) trace.label = pick.label;
    });
  };
  /** What a request's trace and metrics hear of its call: guard verdicts, a fixed input, the sampling. */
  const requestListeners = (context: Context<ServiceEnv>, served: ServedVersion): RequestListeners => ({
    onChecks: requestChecks(context, served, metrics),
    onFixedInput: fixedInputOnTrace(context, served),
    onSampling: (sampling) => {
      const trace = context.get('trace');
      if (trace) trace.sampling = sampling;
    },
  });
  /** Counts a request's tokens in the metrics, under the task it resolved to. */
  const countTokens = (
    context: Context<ServiceEnv>,
    usage: { inputTokens: number; outputTokens: number },
  ) => {
    metrics.tokens.inc({ task: taskOf(context), direction: 'input' }, usage.inputTokens);
    metrics.tokens.inc({ task: taskOf(context), direction: 'output' }, usage.outputTokens);
  };
  let inFlight = 0;
  let idle: (() => void)[] = [];
  // set when drain begins: /ready says so (a load balancer stops sending), and answers close their
  // connection, so that a client on a kept-alive one reconnects to another replica
  let draining = false;

  const app = new Hono<ServiceEnv>();
  // an id, a logger and a start time for every request, before anything can fail
  app.use('*', requestContext(logger));
  // metrics and one structured log line per request; in-flight count for draining
  app.use('*', async (context, next) => {
    inFlight++;
    try {
      await next();
      // which registry version served the request (task names and labels resolve at request time)
      const version = context.get('version');
      if (version) context.res.headers.set('promptune-version', version);
      const arm = context.get('arm');
      if (arm) context.res.headers.set('promptune-experiment', arm);
      if (draining) context.res.headers.set('connection', 'close');
    } finally {
      const milliseconds = performance.now() - context.get('started');
      // model requests are recorded with their model call when their trace ends (streams end later)
      if (telemetry && !context.get('trace')) telemetry.record(requestRecord(context, milliseconds));
      // a stream is logged when it ends, with how it ended (record, below)
      if (!context.get('trace')?.streaming)
        requestEnded(context, context.res.status, context.get('errorCode'), milliseconds);
      if (--inFlight === 0) {
        idle.forEach((resolve) => resolve());
        idle = [];
      }
    }
  });
  const bodyBytes = options.limits?.bodyBytes ?? 1_000_000;
  const tooLarge = (context: Context<ServiceEnv>) =>
    errorResponse(
      context,
      new ServiceError('the request body is too large', {
        status: 413,
        code: 'BODY_TOO_LARGE',
        hint: `Send at most ${bodyBytes} bytes.`,
      }),
    );
  const countedBodyLimit = bodyLimit({ maxSize: bodyBytes, onError: tooLarge });
  app.use('/v1/*', async (context, next) => {
    // a declared length is judged from the header (Node's parser holds the body to it): hono's bodyLimit
    // reads the body stream, which makes the Node adapter build a full Request per request (an
    // AbortController and a finalizer each), and those survived into the old generation under load
    if (context.req.method === 'GET' || context.req.method === 'HEAD') return next();
    const length = context.req.header('content-length');
    if (length !== undefined && /^\d+$/.test(length) && context.req.header('transfer-encoding') === undefined)
      return Number(length) > bodyBytes ? tooLarge(context) : next();
    return countedBodyLimit(context, next); // a body of unknown length is counted as it arrives
  });
  // errors.ts logs what is not the caller's fault, with the request id
  app.onError((error, context) => errorResponse(context, error));
  app.notFound((context) =>
    errorResponse(
      context,
      new NotFoundError(`no route ${context.req.method} ${context.req.path}`, {
        code: 'ROUTE_NOT_FOUND',
        hint: 'See the routes in GET /openapi.json.',
      }),
    ),
  );

  app.get('/health', (context) => context.json({ status: 'ok' }));
  // ready when the registry's database answers and the engine runs; not ready names which is not. With
  // the database away but names resolved lately, it serves what it last knew (outage-trust.ts): ready,
  // degraded, so a load balancer does not take every replica out in a Postgres restart
  app.get('/ready', async (context) => {
    if (draining) return context.json({ status: 'draining' }, 503);
    const registryState = await checkRegistry(registry);
    const serving = registryState.state === 'unreachable' && versions.servesThroughOutage();
    if (registryState.state !== 'ok') {
      logFailure(
        'error',
        registryState.error,
        `${serving ? 'degraded' : 'not ready'}: the registry database`,
        {
          requestId: context.get('requestId'),
        },
      );
      if (!serving) return context.json({ status: 'unavailable', registry: 'unreachable' }, 503);
    }
    const registryText = serving ? 'unreachable' : 'ok';
    if (backends.engine && !backends.engine.ready)
      return context.json({ status: 'unavailable', registry: registryText, engine: 'restarting' }, 503);
    return context.json({
      status: serving ? 'degraded' : 'ready',
      registry: registryText,
      ...(serving && { serving: 'the versions it resolved in the last 10 minutes, as it last knew them' }),
      engine: backends.engine
        ? {
            ...publicEngineInfo(backends.engine.info),
            adapters: backends.engine.adapters,
            prefixes: backends.engine.prefixes,
          }
        : null,
    });
  });
  app.get('/metrics', async (context) =>
    context.text(await metrics.text(), 200, { 'content-type': metrics.registry.contentType }),
  );
  const maxTokens = options.limits?.maxTokens ?? 1024;
  const document = openApiDocument({ maxTokens });
  app.get('/openapi.json', (context) => context.json(document));

  // tasks, their versions and specs, and the admin-only label move
  taskRoutes(app, {
    registry,
    backends,
    scope,
    judge: options.guardJudge !== undefined,
    onLabelMoved: (task) => versions.forget(task),
  });
  // typed runs: the task's input fields in, the task's typed output out
  app.post('/v1/tasks/:name/run', scope('run'), traced('run'), async (context) => {
    const trace = context.get('trace')!;
    trace.model = context.req.param('name');
    const body = await readBody(
      context,
      typedRunRequest,
      'Send { "input": { "<field>": ... } }, or { "input": "..." } for a one-field task (and "seed" to repeat a sampled answer).',
    );
    trace.input = body.input;
    trace.user = body.user ?? null;
    const { served, label } = await resolveServed(context.req.param('name'), context);
    context.set('task', served.spec.name);
    context.set('version', served.version.id);
    context.set('soft', served.softPrompt !== undefined);
    trace.label = label;
    const single = served.spec.input.fields.length === 1 && typeof body.input === 'string';
    const fields = checkFields(
      served.spec,
      single ? { [served.spec.input.fields[0]]: body.input } : body.input,
    );
    // a client gone stops it
    const result = await runFields(served, backends, fields, {
      ...requestListeners(context, served),
      abortSignal: clientSignal(context),
      seed: body.seed,
    }).catch((error: unknown) => {
      // a refused answer, or one its client left, was still generated: counted, as its trace keeps its tokens
      const spent = spentBy(error);
      if (spent) countTokens(context, spent);
      throw error;
    });
    countTokens(context, result);
    const id = `run-${crypto.randomUUID()}`;
    Object.assign(trace, {
      id,
      output: result.text,
      inputTokens: result.inputTokens,
      outputTokens: result.outputTokens,
      finishReason: result.finishReason,
      confidence: result.margin,
    });
    return context.json({
      id,
      task: served.spec.name,
      version: { id: served.version.id, number: served.version.number, kind: served.version.kind },
      // a refrained input or output is answered with the refrain text, which need not be a typed output
      output: result.refrained ? null : typedOutput(served.spec, result.text),
      text: result.text,
      ...(result.refrained && { refrained: true }),
      usage: { input_tokens: result.inputTokens, output_tokens: result.outputTokens },
    });
  });

  // OpenAI-compatible completions over tasks
  app.use('/v1/chat/completions', scope('run'), traced('chat'));
  app.use('/v1/completions', scope('run'), traced('text_completion'));
  app.use('/v1/models/*', scope('read')); // the list too: Hono's /* matches the bare path
  app.route(
    '/',
    openAiRoutes(
      {
        lastUserMessageOnly: true,
        answeredAs: (context) => context.get('versionName'),
        async list() {
          const { served, unserved } = await servedNames(registry, backends, {
            judge: options.guardJudge !== undefined,
          });
          return { names: served, unavailable: unserved };
        },
        async resolve(name, context) {
          const { served, label } = await resolveServed(name, context);
          context.set('task', served.spec.name);
          context.set('version', served.version.id);
          context.set('versionName', `${served.spec.name}@${served.version.number}`);
          context.set('soft', served.softPrompt !== undefined);
          const trace = context.get('trace');
          if (trace) trace.label = label;
          return taskModel(served, backends, requestListeners(context, served));
        },
        onUsage: countTokens,
        onFirstText(context) {
          const seconds = (performance.now() - context.get('started')) / 1000;
          metrics.firstToken.observe({ task: taskOf(context) }, seconds);
        },
      },
      { maxTokens, logger },
    ),
  );

  const alerts = options.alerts && startAlerts({ ...options.alerts, registry, metrics, logger });
  runRoutes(app, { registry, scope });
  libraryRoutes(app, { registry, scope, onLabelMoved: (task) => versions.forget(task) });
  reviewRoutes(app, { registry, scope });
  // a step applied by the watcher or by a look through the API, counted alike
  const countStep = (result: LookResult) =>
    metrics.experimentSteps.inc({
      task: result.experiment.task,
      label: result.experiment.label,
      action: result.action,
    });
  experimentRoutes(app, {
    registry,
    scope,
    onChanged: (task) => versions.forget(task),
    onStep: countStep,
    // what this service cannot serve; a service that runs no model (the dashboard) checks what none can
    whyNotServed: (version, spec) =>
      whyNotServed(version, backends) ??
      whySpecNotServed(spec, {
        judge: !runsAnything(backends) || options.guardJudge !== undefined,
        countsInputTokens: !runsAnything(backends) || inputTokenCounter(backends, version) !== undefined,
      }),
  });
  jobRoutes(app, { registry, scope });
  const jobs =
    options.jobs &&
    new RegistryJobWorker(registry, {
      concurrency: options.jobs.concurrency,
      onFinished: (job) =>
        logger.info({ job: job.id, status: job.status, error: job.error }, 'job attempt ended'),
      onError: (error) => logFailure('error', error, 'could not run queued jobs'),
    }).start();
  const experiments =
    options.experiments === false
      ? undefined
      : new ExperimentWatcher(registry, {
          intervalMs: options.experiments?.intervalMs,
          onStep: (result) => {
            versions.forget(result.experiment.task);
            countStep(result);
            logger.info(
              { experiment: result.experiment.id, action: result.action, reason: result.reason },
              'experiment step',
            );
          },
          onError: (error, experiment) =>
            logFailure('error', error, 'could not look at an experiment', { experiment }),
        }).start();
  if (options.web) webAssets(app, options.web);
  observeRoutes(app, {
    registry,
    recorder,
    logger,
    scope,
    alerts: alerts && options.alerts && { rules: options.alerts.rules },
  });

  return {
    app,
    metrics,
    recorder,
    alerts,
    experiments,
    logFailure: (level, error, message) => logFailure(level, error, message),
    beginDraining() {
      draining = true;
    },
    async drain() {
      draining = true;
      if (inFlight > 0) await new Promise<void>((resolve) => idle.push(resolve));
      // streams still sending (their handlers returned long ago) end their traces when they finish
      while (openTraces > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      await recorder?.close();
      await evaluation?.drain();
      await alerts?.stop();
      await experiments?.stop();
      // a job under way is not waited for: its command is stopped and the job goes back to the queue,
      // for a worker (or this service, restarted) to resume from its journals
      await jobs?.stop({ abandon: true });
      await (await changes)?.close();
      await limiter.close?.();
    },
  };
}
