import { verifiedTablesSchema } from '../../contract/config-values.js';
import { connect, type DbEndpoint, iamAuthToken, RDS_CA_BUNDLE_PATH, tlsOptions } from '../shared/db.js';
import { requireEnv, requireIntEnv, requireJsonEnv } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { replayAction } from './actions.js';

const logger = createLogger('rewind-replay');
const region = requireEnv('AWS_REGION');
const host = requireEnv('REPLICA_HOST');
const port = requireIntEnv('REPLICA_PORT');
const database = requireEnv('DATABASE_NAME');
const caBundlePath = process.env.CA_BUNDLE_PATH || RDS_CA_BUNDLE_PATH;
const config = {
  environment: requireEnv('ENVIRONMENT'),
  tables: requireJsonEnv('TABLES', verifiedTablesSchema),
  concurrency: requireIntEnv('CONCURRENCY'),
  marginSeconds: requireIntEnv('MARGIN_SECONDS'),
  replayBytesPerSecond: requireIntEnv('REPLAY_BYTES_PER_SECOND'),
  rebootSeconds: requireIntEnv('REBOOT_ESTIMATE_SECONDS'),
  promoteSeconds: requireIntEnv('PROMOTE_ESTIMATE_SECONDS'),
};

// IAM database authentication and TLS verified against the RDS CA bundle: no password anywhere.
function connectAs(user: string) {
  const endpoint: DbEndpoint = { host, port, database, user };
  const password = iamAuthToken(endpoint, region);
  const ssl = tlsOptions(caBundlePath, host);
  return () => connect(endpoint, password, { ssl, statementTimeoutMs: 30_000, applicationName: 'authdb-dr-rewind' });
}
const deps = {
  replayControl: connectAs(requireEnv('REPLAY_CONTROL_USER')),
  verifier: connectAs(requireEnv('VERIFIER_USER')),
};

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const result = await replayAction(event, config, deps);
  logger.info('rewind replay step', { action: (event as { action?: unknown })?.action, result });
  return result;
});
