import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRIC_DIMENSIONS, METRICS_NAMESPACE, type MetricService } from '../../contract/metrics.js';
import { PROJECT } from '../../contract/names.js';

/** Structured JSON logs; one logger per function, named after it. */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName, persistentKeys: { project: PROJECT } });
}

/**
 * Metrics as CloudWatch embedded metric format (written to the log, no PutMetricData call or permission). The
 * service name becomes the `service` dimension the alarms select on, hence a MetricService from the contract.
 */
export function createMetrics(serviceName: MetricService, environment: string): Metrics {
  return new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName,
    defaultDimensions: { [METRIC_DIMENSIONS.environment]: environment },
  });
}
