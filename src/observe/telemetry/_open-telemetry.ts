// The OpenTelemetry packages, required when telemetry is set up rather than imported with the observe
// layer: they cost ~200 ms of module loading, which every command line start paid (the layer is one
// chunk of the bundled CLI) for the one command that exports telemetry (serve). They are CommonJS, so a
// synchronous require keeps Telemetry's constructor synchronous. Stable attribute names are kept as
// strings in _semantic-conventions.ts for the same reason.
import { createRequire } from 'node:module';

/** The packages Telemetry uses. */
export interface OpenTelemetryPackages {
  api: typeof import('@opentelemetry/api');
  core: typeof import('@opentelemetry/core');
  traceSdk: typeof import('@opentelemetry/sdk-trace');
  metricsSdk: typeof import('@opentelemetry/sdk-metrics');
  resources: typeof import('@opentelemetry/resources');
  traceExporter: typeof import('@opentelemetry/exporter-trace-otlp-http');
  metricExporter: typeof import('@opentelemetry/exporter-metrics-otlp-http');
}

let loaded: OpenTelemetryPackages | undefined;

/** The packages, loaded on first use. */
export function openTelemetry(): OpenTelemetryPackages {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  loaded = {
    api: require('@opentelemetry/api') as OpenTelemetryPackages['api'],
    core: require('@opentelemetry/core') as OpenTelemetryPackages['core'],
    traceSdk: require('@opentelemetry/sdk-trace') as OpenTelemetryPackages['traceSdk'],
    metricsSdk: require('@opentelemetry/sdk-metrics') as OpenTelemetryPackages['metricsSdk'],
    resources: require('@opentelemetry/resources') as OpenTelemetryPackages['resources'],
    traceExporter:
      require('@opentelemetry/exporter-trace-otlp-http') as OpenTelemetryPackages['traceExporter'],
    metricExporter:
      require('@opentelemetry/exporter-metrics-otlp-http') as OpenTelemetryPackages['metricExporter'],
  };
  return loaded;
}
