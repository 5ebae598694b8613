import { RDSClient } from '@aws-sdk/client-rds';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { startRestore } from './start.js';

const logger = createLogger('restore-start');
const deps = { rds: new RDSClient({}), now: () => new Date() };

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const started = await startRestore(event, deps);
  logger.info('restore requested', { started });
  return started;
});
