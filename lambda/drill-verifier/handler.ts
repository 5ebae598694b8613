import { verifiedTablesSchema } from '../../contract/config-values.js';
import { connect, type DbEndpoint, iamAuthToken, RDS_CA_BUNDLE_PATH, tlsOptions } from '../shared/db.js';
import type { Endpoint } from '../shared/drill.js';
import { requireEnv, requireIntEnv, requireJsonEnv } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { verifier } from './verifier.js';

const logger = createLogger('drill-verifier');
const database = requireEnv('DATABASE_NAME');
const user = requireEnv('VERIFIER_USER');
const region = requireEnv('AWS_REGION');
const statementTimeoutMs = requireIntEnv('STATEMENT_TIMEOUT_MS');
const caBundlePath = process.env.CA_BUNDLE_PATH || RDS_CA_BUNDLE_PATH;
const config = {
  tables: requireJsonEnv('TABLES', verifiedTablesSchema),
  settleSeconds: requireIntEnv('SETTLE_SECONDS'),
  concurrency: requireIntEnv('CONCURRENCY'),
};

// IAM database authentication and TLS verified against the RDS CA bundle: no password anywhere.
function connectTo(at: Endpoint) {
  const endpoint: DbEndpoint = { host: at.host, port: at.port, database, user };
  const password = iamAuthToken(endpoint, region);
  const ssl = tlsOptions(caBundlePath, at.host);
  return () => connect(endpoint, password, { ssl, statementTimeoutMs, applicationName: 'authdb-dr-verifier' });
}

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const result = await verifier(event, config, { connectTo, now: () => new Date() });
  logger.info('verifier result', { result });
  return result;
});
