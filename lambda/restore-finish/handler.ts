import { RDSClient } from '@aws-sdk/client-rds';
import { requireEnv, requireIntEnv } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { finishRestore } from './finish.js';

const logger = createLogger('restore-finish');
const config = {
  drRegion: requireEnv('DR_REGION'),
  drKeyArn: requireEnv('DR_KEY_ARN'),
  replicationRetentionDays: requireIntEnv('REPLICATION_RETENTION_DAYS'),
};
const deps = { rds: new RDSClient({}), drRds: new RDSClient({ region: config.drRegion }), now: () => new Date() };

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const result = await finishRestore(event, config, deps);
  logger.info('restore finish step', { result });
  return result;
});
