import { DATABASE_CLIENT_RUNTIME } from '../../contract/env.js';
import { functionEnvironment } from '../shared/env.js';
import { verifierConnector } from '../shared/iam-connection.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { verifyWriter } from './verify.js';

const logger = createLogger('failover-verify');
const env = functionEnvironment('failover-verify', DATABASE_CLIENT_RUNTIME);
const config = { tables: env.TABLES, concurrency: env.CONCURRENCY, maxDataAgeSeconds: env.MAX_DATA_AGE_SECONDS };
const connectTo = verifierConnector(env, { applicationName: 'authdb-dr-failover-verifier' });

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const result = await verifyWriter(event, config, { connectTo, now: () => new Date() });
  logger.info('failover verification', { result });
  return result;
});
