import { RDSClient } from '@aws-sdk/client-rds';
import { z } from 'zod';
import { instanceClassSchema } from '../../contract/config-values.js';
import { requireBooleanEnv, requireEnv, requireJsonEnv, requireNumberEnv } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { validateRestore } from './validate.js';

const logger = createLogger('restore-validate');
const config = {
  environment: requireEnv('ENVIRONMENT'),
  sourceInstanceId: requireEnv('SOURCE_INSTANCE_ID'),
  allowedInstanceClasses: requireJsonEnv('ALLOWED_INSTANCE_CLASSES', z.array(instanceClassSchema).min(1)),
  dataLossAcknowledgementAfterHours: requireNumberEnv('DATA_LOSS_ACK_AFTER_HOURS'),
  approvalRequired: requireBooleanEnv('APPROVAL_REQUIRED'),
  identity: { stsHost: requireEnv('STS_HOST'), account: requireEnv('ACCOUNT') },
};
const deps = { rds: new RDSClient({}), now: () => new Date() };

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const plan = await validateRestore(event, config, deps);
  logger.info('restore planned', { plan });
  return plan;
});
