import { RDSClient } from '@aws-sdk/client-rds';
import { functionEnvironment } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { control } from './control.js';

const logger = createLogger('rewind-control');
const env = functionEnvironment('rewind-control');
const config = {
  environment: env.ENVIRONMENT,
  replicaInstanceId: env.REPLICA_INSTANCE_ID,
  parameterGroupName: env.REPLICA_PARAMETER_GROUP,
  backupRetentionDays: env.BACKUP_RETENTION_DAYS,
  rebootTimeoutSeconds: env.REBOOT_TIMEOUT_SECONDS,
  replayTimeoutSeconds: env.REPLAY_TIMEOUT_SECONDS,
  promoteTimeoutSeconds: env.PROMOTE_TIMEOUT_SECONDS,
  productionInstanceId: env.PRODUCTION_INSTANCE_ID,
  approvalRequired: env.APPROVAL_REQUIRED,
  identity: { stsHost: env.STS_HOST, account: env.ACCOUNT },
};
const deps = { rds: new RDSClient({}), now: () => new Date() };

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const result = await control(event, config, deps);
  // The plan event holds the starter's identity proof: only the action and the result are logged.
  logger.info('rewind control', { action: (event as { action?: unknown })?.action, result });
  return result;
});
