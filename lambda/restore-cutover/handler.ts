import { RDSClient } from '@aws-sdk/client-rds';
import { createLogger } from '../shared/observability.js';
import { cutover } from './cutover.js';

const logger = createLogger('restore-cutover');
const deps = { rds: new RDSClient({}), now: () => new Date() };

export const handler = async (event: unknown) => {
  const result = await cutover(event, deps);
  logger.info('cutover step', { result });
  return result;
};
