import { RDSClient } from '@aws-sdk/client-rds';
import { functionEnvironment } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { finishRestore } from './finish.js';

const logger = createLogger('restore-finish');
const env = functionEnvironment('restore-finish');
const config = {
  drRegion: env.DR_REGION,
  drKeyArn: env.DR_KEY_ARN,
  replicationRetentionDays: env.REPLICATION_RETENTION_DAYS,
};
const deps = { rds: new RDSClient({}), drRds: new RDSClient({ region: config.drRegion }), now: () => new Date() };

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const result = await finishRestore(event, config, deps);
  logger.info('restore finish step', { result });
  return result;
});
