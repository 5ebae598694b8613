import { BackupClient } from '@aws-sdk/client-backup';
import { RDSClient } from '@aws-sdk/client-rds';
import { z } from 'zod';
import { instanceClassSchema } from '../../contract/config-values.js';
import { requireEnv, requireIntEnv, requireJsonEnv } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { type ControlConfig, control } from './control.js';

const logger = createLogger('failover-control');
const config: ControlConfig = {
  environment: requireEnv('ENVIRONMENT'),
  primaryInstanceId: requireEnv('PRIMARY_INSTANCE_ID'),
  standbyInstanceId: requireEnv('STANDBY_INSTANCE_ID'),
  subnetGroup: requireEnv('SUBNET_GROUP'),
  parameterGroup: requireEnv('PARAMETER_GROUP'),
  securityGroupId: requireEnv('SECURITY_GROUP_ID'),
  drVaultName: requireEnv('DR_VAULT_NAME'),
  instanceClasses: requireJsonEnv('INSTANCE_CLASSES', z.array(instanceClassSchema).min(1)),
  backupRetentionDays: requireIntEnv('BACKUP_RETENTION_DAYS'),
  promoteTimeoutSeconds: requireIntEnv('PROMOTE_TIMEOUT_SECONDS'),
  restoreTimeoutSeconds: requireIntEnv('RESTORE_TIMEOUT_SECONDS'),
};
const deps = { rds: new RDSClient({}), backup: new BackupClient({}), now: () => new Date() };

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const result = await control(event, config, deps);
  logger.info('failover control', { result });
  return result;
});
