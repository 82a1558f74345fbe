// Alerting inside the service: the rules evaluated on their interval over the registry's traces and
// scores, states and history kept in the registry (a restarted service resumes them), firing and
// resolved notifications delivered to webhooks, and the rules' states as Prometheus gauges. It does not
// define metrics or rules: observe does.
import type { Logger } from 'pino';
import {
  AlertEvaluator,
  registerAlertGauges,
  TraceMetricSource,
  traceDriftReader,
  WebhookDelivery,
  type AlertMetricSource,
  type AlertRules,
  type DriftReader,
} from '../observe/index.js';
import type { Registry } from '../registry/index.js';
import type { ServiceMetrics } from './metrics.js';

/** Alerting as the service runs it. */
export interface ServiceAlerts {
  evaluator: AlertEvaluator;
  delivery: WebhookDelivery;
  /** Stops evaluating and waits for notifications in flight. */
  stop(): Promise<void>;
}

/** A metric source whose failures are also logged (the evaluator keeps them in the rule's state). */
function logged(source: AlertMetricSource, logger: Logger): AlertMetricSource {
  return {
    read: (query) =>
      source.read(query).catch((error: unknown) => {
        logger.warn(
          { err: error, metric: query.metric, task: query.task },
          'an alert rule could not be evaluated',
        );
        throw error;
      }),
  };
}

/** Starts evaluating `rules` (the first evaluation runs at once). */
export function startAlerts(options: {
  rules: AlertRules;
  registry: Registry;
  metrics: ServiceMetrics;
  logger: Logger;
  drift?: DriftReader;
}): ServiceAlerts {
  const { logger } = options;
  const delivery = new WebhookDelivery({
    onFailure: (failure) => logger.warn({ failure }, 'an alert notification could not be delivered'),
  });
  const evaluator = new AlertEvaluator({
    rules: options.rules,
    metrics: logged(
      new TraceMetricSource(options.registry, options.drift ?? traceDriftReader(options.registry)),
      logger,
    ),
    store: options.registry.alerts,
    deliver: (notification) => {
      logger.warn(
        { rule: notification.event.rule, state: notification.event.state, value: notification.event.value },
        'alert',
      );
      delivery.send(notification);
    },
    onError: (error) => logger.error({ err: error }, 'alert evaluation failed'),
  });
  registerAlertGauges(options.metrics.registry, { evaluator, delivery });
  evaluator.start();
  return {
    evaluator,
    delivery,
    async stop() {
      await evaluator.stop();
      await delivery.drain();
    },
  };
}
