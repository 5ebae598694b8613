import { RDSClient } from '@aws-sdk/client-rds';
import { drillRestoreConfig } from '../drill-restore/restore.js';
import { functionEnvironment } from '../shared/env.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { requestDrRestore } from './restore.js';

const logger = createLogger('dr-drill-restore');
const config = drillRestoreConfig(functionEnvironment('dr-drill-restore'));
const deps = { rds: new RDSClient({}), now: () => new Date() };

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const request = await requestDrRestore(event, config, deps);
  logger.info('scratch instance requested from the replicated backups', { request });
  return request;
});
