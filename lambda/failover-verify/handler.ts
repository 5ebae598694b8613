import { verifiedTablesSchema } from '../../contract/config-values.js';
import { connect, type DbEndpoint, iamAuthToken, RDS_CA_BUNDLE_PATH, tlsOptions } from '../shared/db.js';
import { requireEnv, requireIntEnv, requireJsonEnv } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { verifyWriter } from './verify.js';

const logger = createLogger('failover-verify');
const database = requireEnv('DATABASE_NAME');
const user = requireEnv('VERIFIER_USER');
const region = requireEnv('AWS_REGION');
const statementTimeoutMs = requireIntEnv('STATEMENT_TIMEOUT_MS');
const caBundlePath = process.env.CA_BUNDLE_PATH || RDS_CA_BUNDLE_PATH;
const config = {
  tables: requireJsonEnv('TABLES', verifiedTablesSchema),
  concurrency: requireIntEnv('CONCURRENCY'),
  maxDataAgeSeconds: requireIntEnv('MAX_DATA_AGE_SECONDS'),
};

// IAM database authentication and TLS verified against the RDS CA bundle: no password anywhere.
function connectTo(at: { host: string; port: number }) {
  const endpoint: DbEndpoint = { host: at.host, port: at.port, database, user };
  const password = iamAuthToken(endpoint, region);
  const ssl = tlsOptions(caBundlePath, at.host);
  return () => connect(endpoint, password, { ssl, statementTimeoutMs, applicationName: 'authdb-dr-failover-verifier' });
}

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const result = await verifyWriter(event, config, { connectTo, now: () => new Date() });
  logger.info('failover verification', { result });
  return result;
});
