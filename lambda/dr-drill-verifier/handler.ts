import { DATABASE_CLIENT_RUNTIME } from '../../contract/env.js';
import { functionEnvironment } from '../shared/env.js';
import { verifierConnector } from '../shared/iam-connection.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { regionOfEndpoint } from './region.js';
import { drVerifier } from './verifier.js';

const logger = createLogger('dr-drill-verifier');
const env = functionEnvironment('dr-drill-verifier', DATABASE_CLIENT_RUNTIME);
const config = { tables: env.TABLES, settleSeconds: env.SETTLE_SECONDS, concurrency: env.CONCURRENCY };
// The token is signed for the instance's own region (the primary is in another one). A short connect timeout: an
// unreachable primary ends the count quickly, and the drill goes on with totals.
const connectTo = verifierConnector(env, {
  applicationName: 'authdb-dr-verifier',
  connectTimeoutMs: env.CONNECT_TIMEOUT_MS,
  signingRegion: (host) => regionOfEndpoint(host, env.AWS_REGION),
});

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const result = await drVerifier(event, config, { connectTo, now: () => new Date() });
  logger.info('verifier result', { result });
  return result;
});
