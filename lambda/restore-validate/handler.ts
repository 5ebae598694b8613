import { RDSClient } from '@aws-sdk/client-rds';
import { functionEnvironment } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { validateRestore } from './validate.js';

const logger = createLogger('restore-validate');
const env = functionEnvironment('restore-validate');
const config = {
  environment: env.ENVIRONMENT,
  sourceInstanceId: env.SOURCE_INSTANCE_ID,
  allowedInstanceClasses: env.ALLOWED_INSTANCE_CLASSES,
  dataLossAcknowledgementAfterHours: env.DATA_LOSS_ACK_AFTER_HOURS,
  approvalRequired: env.APPROVAL_REQUIRED,
  identity: { stsHost: env.STS_HOST, account: env.ACCOUNT },
};
const deps = { rds: new RDSClient({}), now: () => new Date() };

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const plan = await validateRestore(event, config, deps);
  logger.info('restore planned', { plan });
  return plan;
});
