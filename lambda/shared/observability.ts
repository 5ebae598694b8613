import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
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

const correlated = z.union([
  z.object({ plan: z.object({ executionName: z.string().min(1) }) }),
  z.object({ execution: z.object({ Name: z.string().min(1) }) }),
]);

/** The Step Functions execution an event belongs to (its plan, or `$$.Execution` passed as `execution`). */
export function executionNameOf(event: unknown): string | undefined {
  const parsed = correlated.safeParse(event);
  if (!parsed.success) return undefined;
  return 'plan' in parsed.data ? parsed.data.plan.executionName : parsed.data.execution.Name;
}

/**
 * Wraps a handler so every log line carries the invocation (request id, function, cold start) and, as correlation
 * id, the execution name: one CloudWatch Logs Insights filter then shows a drill's lines across all its functions.
 */
export function lambdaHandler<R>(logger: Logger, run: (event: unknown) => Promise<R>) {
  return async (event: unknown, context?: Context): Promise<R> => {
    // A warm container keeps the logger: drop the previous invocation's keys first.
    logger.resetKeys();
    if (context) logger.addContext(context);
    const execution = executionNameOf(event);
    if (execution !== undefined) logger.setCorrelationId(execution);
    return run(event);
  };
}
