import { LAMBDA_RUNTIME } from '../../contract/env.js';
import { METRIC_SERVICES } from '../../contract/metrics.js';
import { functionEnvironment } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { reportFunction } from '../shared/report-function.js';
import { reportFailover } from './report.js';

const logger = createLogger('failover-report');
const env = functionEnvironment('failover-report', LAMBDA_RUNTIME);
const { config: reportConfig, deps } = reportFunction(env, METRIC_SERVICES.failover);
const config = {
  ...reportConfig,
  region: env.AWS_REGION,
  rpoTargetSeconds: env.RPO_TARGET_SECONDS,
  databaseName: env.DATABASE_NAME,
};

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const report = await reportFailover(event, config, deps);
  logger.info('failover report', { outcome: report.outcome, rto: report.rto, rpo: report.rpo });
  return report;
});
