import { RDSClient } from '@aws-sdk/client-rds';
import { SFNClient } from '@aws-sdk/client-sfn';
import { functionEnvironment } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { preflight } from './preflight.js';

const logger = createLogger('drill-preflight');
const env = functionEnvironment('drill-preflight');
const config = { environment: env.ENVIRONMENT, sourceInstanceId: env.SOURCE_INSTANCE_ID };
const deps = { rds: new RDSClient({}), sfn: new SFNClient({}), now: () => new Date() };

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const plan = await preflight(event, config, deps);
  logger.info('drill planned', { plan });
  return plan;
});
