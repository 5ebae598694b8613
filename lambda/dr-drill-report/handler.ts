import { DR_REGION_DRILL_METRICS } from '../../contract/metrics.js';
import { functionEnvironment } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { reportFunction } from '../shared/report-function.js';
import { reportDrRegionDrill } from './report.js';

const logger = createLogger('dr-drill-report');
const env = functionEnvironment('dr-drill-report');
const { config: reportConfig, deps } = reportFunction(env, DR_REGION_DRILL_METRICS.service);
const config = { ...reportConfig, rpoTargetSeconds: env.RPO_TARGET_SECONDS };

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const result = await reportDrRegionDrill(event, config, deps);
  logger.info('DR-region drill reported', result);
  return result;
});
