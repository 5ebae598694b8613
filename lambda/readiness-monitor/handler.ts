import { BackupClient } from '@aws-sdk/client-backup';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { RDSClient } from '@aws-sdk/client-rds';
import { SFNClient } from '@aws-sdk/client-sfn';
import { METRIC_SERVICES } from '../../contract/metrics.js';
import { functionEnvironment } from '../shared/env.js';
import { createLogger, createMetrics, lambdaHandler } from '../shared/observability.js';
import { measureReadiness } from './readiness.js';

const logger = createLogger('readiness-monitor');
const env = functionEnvironment('readiness-monitor');
const drRegion = env.DR_REGION;
const config = {
  environment: env.ENVIRONMENT,
  productionInstanceId: env.PRODUCTION_INSTANCE_ID,
  productionInstanceArn: env.PRODUCTION_INSTANCE_ARN,
  drillStateMachineArn: env.DRILL_STATE_MACHINE_ARN,
  drDrillLookbackDays: env.DR_DRILL_LOOKBACK_DAYS,
  ...(env.STANDBY_INSTANCE_ID ? { standbyInstanceId: env.STANDBY_INSTANCE_ID } : {}),
};
const metrics = createMetrics(METRIC_SERVICES.readiness, config.environment);
const deps = {
  rds: new RDSClient({}),
  drRds: new RDSClient({ region: drRegion }),
  backup: new BackupClient({}),
  sfn: new SFNClient({}),
  drCloudWatch: new CloudWatchClient({ region: drRegion }),
  metrics,
  now: () => new Date(),
};

export const handler = lambdaHandler(logger, async () => {
  const result = await measureReadiness(config, deps);
  if (Object.keys(result.errors).length > 0) logger.error('readiness figures missing', result);
  else logger.info('readiness measured', result);
  return result;
});
