import { SFNClient } from '@aws-sdk/client-sfn';
import { DR_REGION_DRILL_METRICS } from '../../contract/metrics.js';
import { functionEnvironment } from '../shared/env.js';
import { createLogger, createMetrics, lambdaHandler } from '../shared/observability.js';
import { publishDrillAge } from './age.js';

const logger = createLogger('dr-drill-age');
const env = functionEnvironment('dr-drill-age');
const config = { stateMachineArn: env.STATE_MACHINE_ARN };
const metrics = createMetrics(DR_REGION_DRILL_METRICS.service, env.ENVIRONMENT);
const deps = { sfn: new SFNClient({}), metrics, now: () => new Date() };

export const handler = lambdaHandler(logger, async () => {
  const result = await publishDrillAge(config, deps);
  logger.info('DR-region drill age', { result });
  return result;
});
