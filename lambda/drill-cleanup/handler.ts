import { RDSClient } from '@aws-sdk/client-rds';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { cleanupScratchInstance } from './cleanup.js';

const logger = createLogger('drill-cleanup');
// Throttling is retried by the SDK first, then by the state machine's Retry.
const deps = { rds: new RDSClient({ maxAttempts: 5 }), now: () => new Date() };

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const result = await cleanupScratchInstance(event, deps);
  logger.info('scratch instance cleanup', { result });
  return result;
});
