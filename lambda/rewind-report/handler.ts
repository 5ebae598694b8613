import { METRIC_SERVICES } from '../../contract/metrics.js';
import { functionEnvironment } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { reportFunction } from '../shared/report-function.js';
import { reportRewind } from './report.js';

const logger = createLogger('rewind-report');
const env = functionEnvironment('rewind-report');
const { config: reportConfig, deps } = reportFunction(env, METRIC_SERVICES.rewind);
const config = {
  ...reportConfig,
  marginSeconds: env.MARGIN_SECONDS,
  productionInstanceId: env.PRODUCTION_INSTANCE_ID,
};

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const result = await reportRewind(event, config, deps);
  logger.info('rewind reported', result);
  return result;
});
