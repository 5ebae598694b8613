import { DATABASE_CLIENT_RUNTIME } from '../../contract/env.js';
import { functionEnvironment } from '../shared/env.js';
import { iamConnection } from '../shared/iam-connection.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { replayAction } from './actions.js';

const logger = createLogger('rewind-replay');
const env = functionEnvironment('rewind-replay', DATABASE_CLIENT_RUNTIME);
const config = {
  environment: env.ENVIRONMENT,
  tables: env.TABLES,
  concurrency: env.CONCURRENCY,
  marginSeconds: env.MARGIN_SECONDS,
  replayBytesPerSecond: env.REPLAY_BYTES_PER_SECOND,
  rebootSeconds: env.REBOOT_ESTIMATE_SECONDS,
  promoteSeconds: env.PROMOTE_ESTIMATE_SECONDS,
};

function connectAs(user: string) {
  const endpoint = { host: env.REPLICA_HOST, port: env.REPLICA_PORT, database: env.DATABASE_NAME, user };
  return iamConnection(endpoint, env, { statementTimeoutMs: 30_000, applicationName: 'authdb-dr-rewind' });
}
const deps = { replayControl: connectAs(env.REPLAY_CONTROL_USER), verifier: connectAs(env.VERIFIER_USER) };

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const result = await replayAction(event, config, deps);
  logger.info('rewind replay step', { action: (event as { action?: unknown })?.action, result });
  return result;
});
