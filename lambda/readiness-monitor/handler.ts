import { BackupClient } from '@aws-sdk/client-backup';
import { RDSClient } from '@aws-sdk/client-rds';
import { SFNClient } from '@aws-sdk/client-sfn';
import { METRIC_SERVICES } from '../../contract/metrics.js';
import { requireEnv } from '../shared/env.js';
import { createLogger, createMetrics, lambdaHandler } from '../shared/observability.js';
import { measureReadiness } from './readiness.js';

const logger = createLogger('readiness-monitor');
const config = {
  productionInstanceId: requireEnv('PRODUCTION_INSTANCE_ID'),
  productionInstanceArn: requireEnv('PRODUCTION_INSTANCE_ARN'),
  drillStateMachineArn: requireEnv('DRILL_STATE_MACHINE_ARN'),
};
const metrics = createMetrics(METRIC_SERVICES.readiness, requireEnv('ENVIRONMENT'));
const deps = {
  rds: new RDSClient({}),
  drRds: new RDSClient({ region: requireEnv('DR_REGION') }),
  backup: new BackupClient({}),
  sfn: new SFNClient({}),
  metrics,
  now: () => new Date(),
};

export const handler = lambdaHandler(logger, async () => {
  const result = await measureReadiness(config, deps);
  if (Object.keys(result.errors).length > 0) logger.error('readiness figures missing', result);
  else logger.info('readiness measured', result);
  return result;
});
