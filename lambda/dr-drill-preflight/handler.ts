import { RDSClient } from '@aws-sdk/client-rds';
import { SFNClient } from '@aws-sdk/client-sfn';
import { LAMBDA_RUNTIME } from '../../contract/env.js';
import { functionEnvironment } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { describeInstance } from '../shared/rds-instances.js';
import { backupStatus } from './backup-status.js';
import { drPreflight } from './preflight.js';

const logger = createLogger('dr-drill-preflight');
const env = functionEnvironment('dr-drill-preflight', LAMBDA_RUNTIME);
const config = {
  environment: env.ENVIRONMENT,
  region: env.AWS_REGION,
  primaryRegion: env.PRIMARY_REGION,
  primaryInstanceId: env.PRIMARY_INSTANCE_ID,
  primaryCheckTimeoutMs: env.PRIMARY_CHECK_TIMEOUT_MS,
};
// One attempt: a primary region that does not answer at once is what this check is for.
const primaryRds = new RDSClient({ region: config.primaryRegion, maxAttempts: 1 });
const deps = {
  rds: new RDSClient({}),
  sfn: new SFNClient({}),
  describePrimary: (id: string) => describeInstance(primaryRds, id),
  now: () => new Date(),
};

export const handler = lambdaHandler(logger, async (event: unknown) => {
  if (typeof event === 'object' && event !== null && 'action' in event) {
    const status = await backupStatus(event, deps);
    logger.info('replicated backups status', { status });
    return status;
  }
  const plan = await drPreflight(event, config, deps);
  logger.info('DR-region drill planned', { plan });
  return plan;
});
