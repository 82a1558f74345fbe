// Reads the standard OTEL_* variables that promptune's telemetry honours from an environment object
// (process.env by default, any object in tests) into plain settings: endpoints, headers, resource,
// timeouts, batching and the metric interval. It builds no exporter and reads only the object it is
// given (the SDK's exporters still read compression and certificates from process.env themselves).
// A malformed value, or a protocol other than http/json, is a startup error naming the variable.
import { openTelemetry } from './_open-telemetry.js';
import { ValidationError } from '../../errors/index.js';

/** Where and how to export, as read from the environment. */
export interface TelemetrySettings {
  serviceName: string;
  /** OTEL_RESOURCE_ATTRIBUTES (service.name comes from serviceName). */
  resourceAttributes: Record<string, string>;
  traces: ExportTarget;
  /** Undefined when OTEL_METRICS_EXPORTER=none or no endpoint covers metrics. */
  metrics?: ExportTarget & {
    intervalMillis?: number;
    temporality?: 'cumulative' | 'delta' | 'lowmemory';
  };
  /** OTEL_BSP_* settings of the batch span processor. */
  batch: {
    scheduledDelayMillis?: number;
    exportTimeoutMillis?: number;
    maxQueueSize?: number;
    maxExportBatchSize?: number;
  };
}

/** One signal's OTLP/HTTP endpoint. */
export interface ExportTarget {
  url: string;
  headers: Record<string, string>;
  timeoutMillis?: number;
}

/** The settings, or undefined when no OTLP endpoint is set (or OTEL_SDK_DISABLED=true): telemetry off. */
export function readTelemetryEnvironment(
  environment: NodeJS.ProcessEnv = process.env,
): TelemetrySettings | undefined {
  const read = (name: string): string | undefined => {
    const value = environment[name]?.trim();
    return value ? value : undefined;
  };
  if (read('OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return undefined;
  const base = read('OTEL_EXPORTER_OTLP_ENDPOINT');
  const tracesUrl = signalUrl(read, 'TRACES', base, 'v1/traces');
  if (tracesUrl === undefined) return undefined;
  checkProtocols(read);
  const metricsUrl =
    read('OTEL_METRICS_EXPORTER')?.toLowerCase() === 'none'
      ? undefined
      : signalUrl(read, 'METRICS', base, 'v1/metrics');
  const number = (name: string) => positiveNumber(read, name);
  const resourceAttributes = openTelemetry().core.parseKeyPairsIntoRecord(read('OTEL_RESOURCE_ATTRIBUTES'));
  const serviceName = read('OTEL_SERVICE_NAME') ?? resourceAttributes['service.name'] ?? 'promptune';
  return {
    serviceName,
    resourceAttributes,
    traces: {
      url: tracesUrl,
      headers: signalHeaders(read, 'TRACES'),
      timeoutMillis: number('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT') ?? number('OTEL_EXPORTER_OTLP_TIMEOUT'),
    },
    metrics:
      metricsUrl === undefined
        ? undefined
        : {
            url: metricsUrl,
            headers: signalHeaders(read, 'METRICS'),
            timeoutMillis:
              number('OTEL_EXPORTER_OTLP_METRICS_TIMEOUT') ?? number('OTEL_EXPORTER_OTLP_TIMEOUT'),
            intervalMillis: number('OTEL_METRIC_EXPORT_INTERVAL'),
            temporality: temporality(read),
          },
    batch: {
      scheduledDelayMillis: number('OTEL_BSP_SCHEDULE_DELAY'),
      exportTimeoutMillis: number('OTEL_BSP_EXPORT_TIMEOUT'),
      maxQueueSize: number('OTEL_BSP_MAX_QUEUE_SIZE'),
      maxExportBatchSize: number('OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
    },
  };
}

type Read = (name: string) => string | undefined;

/** The signal's own endpoint as given, else the shared endpoint with the signal's path appended. */
function signalUrl(read: Read, signal: string, base: string | undefined, path: string): string | undefined {
  const specificName = `OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`;
  const specific = read(specificName);
  if (specific !== undefined) return httpUrl(specific, specificName);
  if (base === undefined) return undefined;
  // the shared endpoint keeps its own path (a collector behind a prefix) and gets the signal's appended
  const root = httpUrl(base, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  return root.endsWith('/') ? root + path : `${root}/${path}`;
}

/** The value as a normalized http(s) URL (a bare origin gains its '/'), or a ValidationError naming the variable. */
function httpUrl(value: string, name: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new ValidationError(`${name} must be an http(s) URL, found '${value}'`, {
      code: 'TELEMETRY_BAD_ENDPOINT',
      hint: `Set ${name} to the collector's OTLP/HTTP address, e.g. http://127.0.0.1:4318, or unset it to turn telemetry off.`,
    });
  return url.href;
}

/** Only http/json is sent (the JS OTLP/HTTP exporter's encoding); a request for another is refused. */
function checkProtocols(read: Read): void {
  for (const name of [
    'OTEL_EXPORTER_OTLP_PROTOCOL',
    'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
    'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL',
  ]) {
    const protocol = read(name);
    if (protocol !== undefined && protocol !== 'http/json')
      throw new ValidationError(
        `${name} is '${protocol}', but promptune exports OTLP over HTTP with JSON bodies`,
        {
          code: 'TELEMETRY_UNSUPPORTED_PROTOCOL',
          hint: `Set ${name}=http/json (or unset it) and point the endpoint at an OTLP/HTTP receiver that accepts JSON, such as the OpenTelemetry Collector on port 4318.`,
        },
      );
  }
}

/** The shared headers overlaid with the signal's own (both `key=value,key2=value2`, URL-encoded). */
function signalHeaders(read: Read, signal: string): Record<string, string> {
  return {
    ...openTelemetry().core.parseKeyPairsIntoRecord(read('OTEL_EXPORTER_OTLP_HEADERS')),
    ...openTelemetry().core.parseKeyPairsIntoRecord(read(`OTEL_EXPORTER_OTLP_${signal}_HEADERS`)),
  };
}

/** A positive number of the variable, undefined when unset, a ValidationError when malformed. */
function positiveNumber(read: Read, name: string): number | undefined {
  const value = read(name);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new ValidationError(`${name} must be a positive number, found '${value}'`, {
      code: 'TELEMETRY_BAD_SETTING',
      hint: `Set ${name} to a positive number (milliseconds or a count), or unset it for the default.`,
    });
  return parsed;
}

/** OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE, lower-cased and checked. */
function temporality(read: Read): 'cumulative' | 'delta' | 'lowmemory' | undefined {
  const name = 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE';
  const value = read(name)?.toLowerCase();
  if (value === undefined || value === 'cumulative' || value === 'delta' || value === 'lowmemory')
    return value;
  throw new ValidationError(`${name} must be cumulative, delta or lowmemory, found '${value}'`, {
    code: 'TELEMETRY_BAD_SETTING',
    hint: `Set ${name} to cumulative (the default), delta or lowmemory.`,
  });
}
