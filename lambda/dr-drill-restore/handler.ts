import { RDSClient } from '@aws-sdk/client-rds';
import { functionEnvironment } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { requestDrRestore } from './restore.js';

const logger = createLogger('dr-drill-restore');
const env = functionEnvironment('dr-drill-restore');
const config = {
  instanceClass: env.DRILL_INSTANCE_CLASS,
  subnetGroupName: env.DRILL_SUBNET_GROUP,
  securityGroupId: env.DRILL_SECURITY_GROUP_ID,
  parameterGroupName: env.PARAMETER_GROUP,
};
const deps = { rds: new RDSClient({}), now: () => new Date() };

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const request = await requestDrRestore(event, config, deps);
  logger.info('scratch instance requested from the replicated backups', { request });
  return request;
});
