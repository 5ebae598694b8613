import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { functionEnvironment } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { approval } from './approval.js';

const logger = createLogger('restore-approval');
const env = functionEnvironment('restore-approval');
const config = {
  environment: env.ENVIRONMENT,
  topicArn: env.ALERT_TOPIC_ARN,
  timeoutMinutes: env.APPROVAL_TIMEOUT_MINUTES,
  identity: { stsHost: env.STS_HOST, account: env.ACCOUNT },
  stateMachines: {
    restore: env.STATE_MACHINE_ARN,
    // Where the environment has a rewind workflow, its cutover waits for the same approval.
    ...(env.REWIND_STATE_MACHINE_ARN ? { rewind: env.REWIND_STATE_MACHINE_ARN } : {}),
  },
};
const deps = { sns: new SNSClient({}), sfn: new SFNClient({}), fetch, now: () => new Date() };

// The event holds the task token or an identity proof: only the result is logged.
export const handler = lambdaHandler(logger, async (event: unknown) => {
  const result = await approval(event, config, deps);
  logger.info('approval step', { result });
  return result;
});
