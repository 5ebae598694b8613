import { RDSClient } from '@aws-sdk/client-rds';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { instanceStatus } from './instance-status.js';

const logger = createLogger('instance-status');
const deps = { rds: new RDSClient({}), now: () => new Date() };

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const status = await instanceStatus(event, deps);
  logger.info('instance status', { status });
  return status;
});
