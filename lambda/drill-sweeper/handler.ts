import { RDSClient } from '@aws-sdk/client-rds';
import { SFNClient } from '@aws-sdk/client-sfn';
import { METRIC_SERVICES } from '../../contract/metrics.js';
import { functionEnvironment } from '../shared/env.js';
import { createLogger, createMetrics, lambdaHandler } from '../shared/observability.js';
import { sweep } from './sweeper.js';

const logger = createLogger('drill-sweeper');
const env = functionEnvironment('drill-sweeper');
const config = { maxAgeHours: env.MAX_AGE_HOURS };
const metrics = createMetrics(METRIC_SERVICES.drill, env.ENVIRONMENT);
const deps = { rds: new RDSClient({ maxAttempts: 5 }), sfn: new SFNClient({}), metrics, now: () => new Date() };

export const handler = lambdaHandler(logger, async () => {
  const result = await sweep(config, deps);
  if (result.orphaned.length > 0) logger.warn('abandoned drill instances found', { result });
  else logger.info('no abandoned drill instances', { result });
  return result;
});
