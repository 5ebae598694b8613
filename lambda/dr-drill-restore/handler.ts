import { RDSClient } from '@aws-sdk/client-rds';
import { requireEnv } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { requestDrRestore } from './restore.js';

const logger = createLogger('dr-drill-restore');
const config = {
  instanceClass: requireEnv('DRILL_INSTANCE_CLASS'),
  subnetGroupName: requireEnv('DRILL_SUBNET_GROUP'),
  securityGroupId: requireEnv('DRILL_SECURITY_GROUP_ID'),
  parameterGroupName: requireEnv('PARAMETER_GROUP'),
};
const deps = { rds: new RDSClient({}), now: () => new Date() };

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const request = await requestDrRestore(event, config, deps);
  logger.info('scratch instance requested from the replicated backups', { request });
  return request;
});
