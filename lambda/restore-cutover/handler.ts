import { RDSClient } from '@aws-sdk/client-rds';
import { SFNClient } from '@aws-sdk/client-sfn';
import { requireEnv } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { cutover } from './cutover.js';

const logger = createLogger('restore-cutover');
const rewindStateMachineArn = process.env.REWIND_STATE_MACHINE_ARN;
const config = {
  sourceInstanceId: requireEnv('SOURCE_INSTANCE_ID'),
  stateMachineArn: requireEnv('STATE_MACHINE_ARN'),
  // The rewind hands its promoted replica over to this same cutover, where a rewind workflow exists.
  ...(rewindStateMachineArn
    ? { rewind: { stateMachineArn: rewindStateMachineArn, targetInstanceId: requireEnv('REWIND_TARGET_INSTANCE_ID') } }
    : {}),
};
const deps = { rds: new RDSClient({}), sfn: new SFNClient({}), now: () => new Date() };

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const result = await cutover(event, config, deps);
  logger.info('cutover step', { result });
  return result;
});
