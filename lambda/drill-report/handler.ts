import { METRIC_SERVICES } from '../../contract/metrics.js';
import { functionEnvironment } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { reportFunction } from '../shared/report-function.js';
import { reportDrill } from './report.js';

const logger = createLogger('drill-report');
const env = functionEnvironment('drill-report');
const { config: reportConfig, deps } = reportFunction(env, METRIC_SERVICES.drill);
const config = { ...reportConfig, rpoTargetSeconds: env.RPO_TARGET_SECONDS };

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const result = await reportDrill(event, config, deps);
  logger.info('drill reported', result);
  return result;
});
