import { DATABASE_CLIENT_RUNTIME } from '../../contract/env.js';
import { functionEnvironment } from '../shared/env.js';
import { verifierConnector } from '../shared/iam-connection.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { verifier } from './verifier.js';

const logger = createLogger('drill-verifier');
const env = functionEnvironment('drill-verifier', DATABASE_CLIENT_RUNTIME);
const config = { tables: env.TABLES, settleSeconds: env.SETTLE_SECONDS, concurrency: env.CONCURRENCY };
const connectTo = verifierConnector(env, { applicationName: 'authdb-dr-verifier' });

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const result = await verifier(event, config, { connectTo, now: () => new Date() });
  logger.info('verifier result', { result });
  return result;
});
