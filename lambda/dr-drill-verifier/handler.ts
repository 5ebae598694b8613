import { verifiedTablesSchema } from '../../contract/config-values.js';
import { connect, type DbEndpoint, iamAuthToken, RDS_CA_BUNDLE_PATH, tlsOptions } from '../shared/db.js';
import type { Endpoint } from '../shared/drill.js';
import { requireEnv, requireIntEnv, requireJsonEnv } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { regionOfEndpoint } from './region.js';
import { drVerifier } from './verifier.js';

const logger = createLogger('dr-drill-verifier');
const database = requireEnv('DATABASE_NAME');
const user = requireEnv('VERIFIER_USER');
const region = requireEnv('AWS_REGION');
const statementTimeoutMs = requireIntEnv('STATEMENT_TIMEOUT_MS');
const connectTimeoutMs = requireIntEnv('CONNECT_TIMEOUT_MS');
const caBundlePath = process.env.CA_BUNDLE_PATH || RDS_CA_BUNDLE_PATH;
const config = {
  tables: requireJsonEnv('TABLES', verifiedTablesSchema),
  settleSeconds: requireIntEnv('SETTLE_SECONDS'),
  concurrency: requireIntEnv('CONCURRENCY'),
};

// IAM database authentication (the token signed for the instance's own region: the primary is in another one) and
// TLS verified against the RDS CA bundle: no password anywhere. A short connect timeout: an unreachable primary
// ends the count quickly, and the drill goes on with totals.
function connectTo(at: Endpoint) {
  const endpoint: DbEndpoint = { host: at.host, port: at.port, database, user };
  const password = iamAuthToken(endpoint, regionOfEndpoint(at.host, region));
  const ssl = tlsOptions(caBundlePath, at.host);
  return () =>
    connect(endpoint, password, { ssl, statementTimeoutMs, connectTimeoutMs, applicationName: 'authdb-dr-verifier' });
}

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const result = await drVerifier(event, config, { connectTo, now: () => new Date() });
  logger.info('verifier result', { result });
  return result;
});
