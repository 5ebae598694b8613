import { BackupClient } from '@aws-sdk/client-backup';
import { RDSClient } from '@aws-sdk/client-rds';
import { functionEnvironment } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { type ControlConfig, control } from './control.js';

const logger = createLogger('failover-control');
const env = functionEnvironment('failover-control');
const config: ControlConfig = {
  environment: env.ENVIRONMENT,
  primaryInstanceId: env.PRIMARY_INSTANCE_ID,
  standbyInstanceId: env.STANDBY_INSTANCE_ID,
  subnetGroup: env.SUBNET_GROUP,
  parameterGroup: env.PARAMETER_GROUP,
  securityGroupId: env.SECURITY_GROUP_ID,
  drVaultName: env.DR_VAULT_NAME,
  instanceClasses: env.INSTANCE_CLASSES,
  backupRetentionDays: env.BACKUP_RETENTION_DAYS,
  promoteTimeoutSeconds: env.PROMOTE_TIMEOUT_SECONDS,
  restoreTimeoutSeconds: env.RESTORE_TIMEOUT_SECONDS,
};
const deps = { rds: new RDSClient({}), backup: new BackupClient({}), now: () => new Date() };

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const result = await control(event, config, deps);
  logger.info('failover control', { result });
  return result;
});
