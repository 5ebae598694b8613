import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/** CloudWatch namespace of every metric this project publishes. */
export const METRICS_NAMESPACE = 'AuthDbDr';

/** Structured JSON logs; one logger per function, named after it. */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName, persistentKeys: { project: 'authdb-dr' } });
}

/** Metrics as CloudWatch embedded metric format (written to the log, no PutMetricData call or permission). */
export function createMetrics(serviceName: string, environment: string): Metrics {
  return new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName,
    defaultDimensions: { Environment: environment },
  });
}
