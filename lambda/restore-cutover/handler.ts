import { RDSClient } from '@aws-sdk/client-rds';
import { SFNClient } from '@aws-sdk/client-sfn';
import { requireEnv } from '../shared/env.js';
import { createLogger } from '../shared/observability.js';
import { cutover } from './cutover.js';

const logger = createLogger('restore-cutover');
const config = {
  sourceInstanceId: requireEnv('SOURCE_INSTANCE_ID'),
  stateMachineArn: requireEnv('STATE_MACHINE_ARN'),
};
const deps = { rds: new RDSClient({}), sfn: new SFNClient({}), now: () => new Date() };

export const handler = async (event: unknown) => {
  const result = await cutover(event, config, deps);
  logger.info('cutover step', { result });
  return result;
};
