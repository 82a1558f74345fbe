// `promptune serve`: the service over the registry, with the local engine in a worker thread. On
// SIGTERM or SIGINT it says it is draining (/ready 503), goes on accepting for --drain-delay seconds
// (0 by default), stops accepting connections, lets requests in flight finish (and their traces be
// written), then closes the engine and the registry.
import { defineCommand } from 'citty';
import { resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { redactedUrl, ValidationError } from '../../errors/index.js';
import { resolveModel } from '../../providers/index.js';
import { Registry } from '../../registry/index.js';
import {
  EngineClient,
  listen,
  createService,
  dashboardDirectory,
  SharedRateLimiter,
} from '../../serve/index.js';
import { loadModelTokenizer } from '../../engine/index.js';
import { numberOption } from '../options.js';
import { registryLocation, registryOption } from '../registry-access.js';
import {
  parseDuration,
  readAlertRules,
  Redactor,
  redactionRules,
  startRetention,
  Telemetry,
  WorkerTraceSink,
  judgeEvaluator,
} from '../../observe/index.js';
import { judgeGenerator, readPrices } from '../../eval/index.js';

export default defineCommand({
  meta: { name: 'serve', description: 'Serve the registry’s tasks over HTTP (OpenAI-compatible)' },
  args: {
    model: {
      type: 'string',
      description:
        'Local base model for the engine (path or hf:org/name): soft prompts, and hard prompts unless --hard-model',
    },
    'hard-model': {
      type: 'string',
      description: 'Run hard prompts on this model instead (openai:gpt-4o-mini, ollama:llama3, ...)',
    },
    port: { type: 'string', default: '8080', description: 'Port (0: any free port)' },
    host: { type: 'string', default: '127.0.0.1', description: 'Interface to listen on' },
    db: registryOption,
    'max-batch': { type: 'string', default: '8', description: 'Most requests the engine batches together' },
    'prefix-cache': {
      type: 'string',
      default: '256',
      description: 'MiB of prompt prefixes the engine keeps for reuse (0: none)',
    },
    'max-adapters': {
      type: 'string',
      default: '64',
      description:
        'Adapter versions the engine keeps loaded (least recently used evicted; /ready and /metrics say how many and their bytes)',
    },
    'max-body': { type: 'string', default: '1000000', description: 'Largest request body in bytes' },
    'drain-delay': {
      type: 'string',
      default: '0',
      description:
        'Seconds to go on accepting after SIGTERM, /ready answering 503 draining, before refusing new connections (give a load balancer time to take the replica out; a second signal ends the wait)',
    },
    'max-tokens': {
      type: 'string',
      default: '1024',
      description: 'Largest max_tokens a request may ask for',
    },
    'rate-limit': {
      type: 'string',
      default: '600',
      description:
        'Requests per minute per key (unless the key sets its own), counted by this replica alone unless --redis shares the count: N replicas alone let a key through N times it',
    },
    redis: {
      type: 'string',
      description:
        'Count rate limits in this Redis, shared by every replica using it (default: REDIS_URL; while it is away, each replica counts alone)',
    },
    jobs: {
      type: 'string',
      default: '1',
      description:
        'Queued jobs (promptune job submit) this service runs at once (0: leave them to promptune worker)',
    },
    'trace-sample': {
      type: 'string',
      default: '1',
      description: 'Share of requests kept as traces in the registry (0 to 1; 0: no tracing)',
    },
    'trace-queue': {
      type: 'string',
      default: '10000',
      description:
        'Most traces waiting to be written; beyond it traces are dropped (and counted), never requests slowed',
    },
    'trace-retention': {
      type: 'string',
      default: '30d',
      description: 'Delete traces older than this (30d, 12h, ...; "none" keeps them)',
    },
    'trace-max': {
      type: 'string',
      default: '1000000',
      description: 'Keep at most this many traces, newest first (0: no limit)',
    },
    alerts: {
      type: 'string',
      description:
        'Alert rules file (YAML): evaluated in the service, delivered to webhooks (promptune alerts check)',
    },
    prices: {
      type: 'string',
      description:
        'JSON of dollars per million tokens by model ({"gpt-4o": {"input": 2.5, "output": 10}}), over the built-in table, for traces\' cost',
    },
    judge: {
      type: 'string',
      description:
        'Online evaluation: a judge model (openai:gpt-4o-mini, local:<path>, ...) grades a sample of responses',
    },
    'judge-rubric': {
      type: 'string',
      default: 'Is the response correct, complete and appropriate for the task input?',
      description: 'What the judge grades against',
    },
    'judge-sample': {
      type: 'string',
      default: '0.1',
      description: 'Share of responses the judge grades (0 to 1)',
    },
    redact: {
      type: 'string',
      description:
        'Redact matches before traces are stored: email, card, phone, ip, secret, or name=/regex/ (comma-separated)',
    },
  },
  async run({ args }) {
    if (!args.model && !args['hard-model'])
      throw new ValidationError('serve needs a model', {
        code: 'CLI_INVALID_OPTION',
        hint: 'Pass --model <local base model> (and/or --hard-model <provider:model>).',
      });
    // every option is checked before anything starts (a worker thread would keep a refused run alive)
    const port = numberOption('port', args.port, { integer: true, min: 0, max: 65535 });
    const maxBatch = numberOption('max-batch', args['max-batch'], { integer: true, min: 1 });
    const prefixCacheMiB = numberOption('prefix-cache', args['prefix-cache'], { min: 0 }) ?? 256;
    const maxAdapters = numberOption('max-adapters', args['max-adapters'], { integer: true, min: 1 }) ?? 64;
    const drainDelaySeconds = numberOption('drain-delay', args['drain-delay'], { min: 0, max: 3600 }) ?? 0;
    const ratePerMinute = numberOption('rate-limit', args['rate-limit'], { min: 1 }) ?? 600;
    const redisUrl = args.redis ?? process.env.REDIS_URL;
    const sampleRate = numberOption('trace-sample', args['trace-sample'], { min: 0, max: 1 }) ?? 1;
    const capacity = numberOption('trace-queue', args['trace-queue'], { integer: true, min: 1 });
    const maximumTraces = numberOption('trace-max', args['trace-max'], { integer: true, min: 0 }) ?? 0;
    const retentionMs =
      args['trace-retention'] === 'none'
        ? undefined
        : parseDuration(args['trace-retention'] ?? '30d', '--trace-retention');
    const alertRules = args.alerts ? readAlertRules(args.alerts) : undefined;
    const judgeSample = numberOption('judge-sample', args['judge-sample'], { min: 0, max: 1 }) ?? 0.1;
    const redactor = new Redactor(
      redactionRules(args.redact ? args.redact.split(',').map((rule) => rule.trim()) : []),
    );
    const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' });
    // one count per key for every replica on the Redis; while it is away, this replica's own (its URL is
    // checked before anything starts: REDIS_BAD_URL)
    const rateLimiter = redisUrl
      ? await SharedRateLimiter.open(redisUrl, ratePerMinute, {
          lost: (error) => logger.warn({ code: error.code }, error.message),
          back: () => logger.info('Redis answers again: rate limits are shared by the replicas again'),
        })
      : undefined;
    const limits = {
      bodyBytes: numberOption('max-body', args['max-body'], { integer: true, min: 1 }),
      maxTokens: numberOption('max-tokens', args['max-tokens'], { integer: true, min: 1 }),
      ratePerMinute,
      rateLimiter,
    };
    const location = registryLocation(args.db);
    const registry = await Registry.open(location);
    // SQLite writes are synchronous: traces are written from a worker thread so none pauses a request
    const sink = sampleRate > 0 && location.path ? await WorkerTraceSink.start(location) : undefined;
    // OpenTelemetry when OTEL_EXPORTER_OTLP_ENDPOINT is set (spans and GenAI metrics over OTLP/HTTP)
    const telemetry = Telemetry.fromEnvironment(process.env, {
      onError: (error) => logger.warn({ err: error }, 'OpenTelemetry export failed'),
    });
    const judge = args.judge ? await resolveModel(args.judge) : undefined;
    const prices = readPrices(args.prices);
    const hardModel = args['hard-model'] ? await resolveModel(args['hard-model']) : undefined;
    const hard = hardModel?.model;
    // the base model as a path, or written as other commands take it (local:<path>)
    const basePath = args.model?.replace(/^local:/, '');
    const engine = basePath
      ? await EngineClient.start(basePath, {
          maxBatch,
          prefixCacheBytes: prefixCacheMiB * 1024 * 1024,
          maxAdapters,
        })
      : undefined;
    // the engine model's tokenizer in this thread too (its vocabulary, not its weights): input guards
    // bounded in tokens count with it, on the versions that run on the engine
    const tokenizer = basePath ? await loadModelTokenizer(basePath) : undefined;
    const countTokens = tokenizer && ((text: string) => tokenizer.encode(text, { addBos: false }).length);
    const jobConcurrency = numberOption('jobs', args.jobs, { integer: true, min: 0, max: 64 })!;
    const service = createService({
      guardJudge: judge?.model,
      registry,
      backends: {
        engine,
        hard: hard ?? engine?.languageModel(),
        tokens: countTokens && { soft: countTokens, hard: hard ? undefined : countTokens },
      },
      limits,
      tracing: sampleRate > 0 && { sampleRate, capacity, redactor, sink },
      alerts: alertRules && { rules: alertRules },
      pricing: { prices, hard: hardModel },
      evaluation: judge && {
        sampleRate: judgeSample,
        evaluators: [judgeEvaluator({ judge: judgeGenerator(judge), rubric: args['judge-rubric'] })],
      },
      telemetry,
      web: dashboardDirectory(),
      logger,
      jobs: jobConcurrency > 0 ? { concurrency: jobConcurrency } : undefined,
    });
    const retention =
      sampleRate > 0
        ? startRetention(registry.traces, {
            maximumAgeMs: retentionMs,
            maximumCount: maximumTraces || undefined,
            // a database that is away is said once a minute, as the service's own loops say it
            onError: (error) => service.logFailure('error', error, 'could not prune traces'),
          })
        : undefined;
    let server;
    try {
      server = await listen(service.app, { hostname: args.host, port });
    } catch (error) {
      retention?.stop();
      await sink?.close();
      await rateLimiter?.close();
      // the engine worker ends cleanly; the error (a port in use, say) is reported as the CLI reports
      // every failure of the machine around it
      await engine?.close();
      await registry.close();
      throw error;
    }
    if ((await registry.keys.list()).every((key) => key.revoked))
      logger.warn('no API key exists yet: create one with promptune keys create --scopes run,read');
    // which registry it serves: replicas meant to share one must name the same
    const served = location.url ? redactedUrl(location.url) : resolve(location.path ?? args.db);
    logger.info({ url: server.url, engine: engine?.info.model, registry: served }, 'listening');
    process.stdout.write(`listening on ${server.url} (dashboard at ${server.url}/), registry ${served}\n`);
    await nextSignal(logger, 'draining').signalled;
    service.beginDraining(); // /ready says draining, answers close their connections
    if (drainDelaySeconds > 0) {
      // accepting still, while load balancers see /ready fail and take this replica out
      logger.info({ seconds: drainDelaySeconds }, 'draining: accepting until the drain delay ends');
      let timer: NodeJS.Timeout | undefined;
      const cutShort = nextSignal(logger, 'drain delay cut short');
      await Promise.race([
        new Promise((resolve) => (timer = setTimeout(resolve, drainDelaySeconds * 1000))),
        cutShort.signalled,
      ]);
      clearTimeout(timer);
      cutShort.cancel(); // a signal during the drain ends the process, as Node's default does
    }
    const closed = server.close(); // stops accepting; resolves when open connections end
    await service.drain();
    await closed;
    retention?.stop();
    await sink?.close();
    await telemetry?.shutdown();
    await engine?.close();
    await registry.close();
    logger.info('stopped');
  },
});

/**
 * `signalled` resolves at the next SIGTERM or SIGINT, logging `message` with it; `cancel` stops listening
 * (a later signal then has Node's default: the process ends).
 */
function nextSignal(logger: Logger, message: string): { signalled: Promise<void>; cancel(): void } {
  let stop: (signal: NodeJS.Signals) => void = () => undefined;
  const cancel = () => {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  };
  const signalled = new Promise<void>((resolve) => {
    stop = (signal) => {
      cancel();
      logger.info({ signal }, message);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  return { signalled, cancel };
}
