import { RDSClient } from '@aws-sdk/client-rds';
import { SFNClient } from '@aws-sdk/client-sfn';
import { functionEnvironment } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { cutover } from './cutover.js';

const logger = createLogger('restore-cutover');
const env = functionEnvironment('restore-cutover');
const config = {
  sourceInstanceId: env.SOURCE_INSTANCE_ID,
  stateMachineArn: env.STATE_MACHINE_ARN,
  // The rewind hands its promoted replica over to this same cutover, where a rewind workflow exists (the contract
  // has both rewind variables or neither).
  ...(env.REWIND_STATE_MACHINE_ARN && env.REWIND_TARGET_INSTANCE_ID
    ? { rewind: { stateMachineArn: env.REWIND_STATE_MACHINE_ARN, targetInstanceId: env.REWIND_TARGET_INSTANCE_ID } }
    : {}),
};
const deps = { rds: new RDSClient({}), sfn: new SFNClient({}), now: () => new Date() };

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const result = await cutover(event, config, deps);
  logger.info('cutover step', { result });
  return result;
});
