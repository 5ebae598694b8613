import { RDSClient } from '@aws-sdk/client-rds';
import { functionEnvironment } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { drillRestoreConfig, requestDrillRestore } from './restore.js';

const logger = createLogger('drill-restore');
const config = drillRestoreConfig(functionEnvironment('drill-restore'));
const deps = { rds: new RDSClient({}), now: () => new Date() };

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const request = await requestDrillRestore(event, config, deps);
  logger.info('scratch instance requested', { request });
  return request;
});
