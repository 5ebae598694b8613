import { RDSClient } from '@aws-sdk/client-rds';
import { requireBooleanEnv, requireEnv, requireIntEnv } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { control } from './control.js';

const logger = createLogger('rewind-control');
const config = {
  environment: requireEnv('ENVIRONMENT'),
  replicaInstanceId: requireEnv('REPLICA_INSTANCE_ID'),
  parameterGroupName: requireEnv('REPLICA_PARAMETER_GROUP'),
  backupRetentionDays: requireIntEnv('BACKUP_RETENTION_DAYS'),
  rebootTimeoutSeconds: requireIntEnv('REBOOT_TIMEOUT_SECONDS'),
  replayTimeoutSeconds: requireIntEnv('REPLAY_TIMEOUT_SECONDS'),
  promoteTimeoutSeconds: requireIntEnv('PROMOTE_TIMEOUT_SECONDS'),
  productionInstanceId: requireEnv('PRODUCTION_INSTANCE_ID'),
  approvalRequired: requireBooleanEnv('APPROVAL_REQUIRED'),
  identity: { stsHost: requireEnv('STS_HOST'), account: requireEnv('ACCOUNT') },
};
const deps = { rds: new RDSClient({}), now: () => new Date() };

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const result = await control(event, config, deps);
  // The plan event holds the starter's identity proof: only the action and the result are logged.
  logger.info('rewind control', { action: (event as { action?: unknown })?.action, result });
  return result;
});
