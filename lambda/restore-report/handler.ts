import { METRIC_SERVICES } from '../../contract/metrics.js';
import { functionEnvironment } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { reportFunction } from '../shared/report-function.js';
import { reportRestore } from './report.js';

const logger = createLogger('restore-report');
const { config, deps } = reportFunction(functionEnvironment('restore-report'), METRIC_SERVICES.restore);

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const result = await reportRestore(event, config, deps);
  logger.info('restore reported', result);
  return result;
});
