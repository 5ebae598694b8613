import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { METRIC_SERVICES } from '../../contract/metrics.js';
import { requireEnv, requireIntEnv } from '../shared/env.js';
import { createLogger, createMetrics, lambdaHandler } from '../shared/observability.js';
import { reportFailover } from './report.js';

const logger = createLogger('failover-report');
const environment = requireEnv('ENVIRONMENT');
const config = {
  environment,
  region: requireEnv('AWS_REGION'),
  bucket: requireEnv('REPORT_BUCKET'),
  topicArn: requireEnv('ALERT_TOPIC_ARN'),
  rtoTargetSeconds: requireIntEnv('RTO_TARGET_SECONDS'),
  rpoTargetSeconds: requireIntEnv('RPO_TARGET_SECONDS'),
  databaseName: requireEnv('DATABASE_NAME'),
};
const deps = {
  s3: new S3Client({}),
  sns: new SNSClient({}),
  metrics: createMetrics(METRIC_SERVICES.failover, environment),
  now: () => new Date(),
};

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const report = await reportFailover(event, config, deps);
  logger.info('failover report', { outcome: report.outcome, rto: report.rto, rpo: report.rpo });
  return report;
});
