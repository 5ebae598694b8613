import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { METRIC_SERVICES } from '../../contract/metrics.js';
import { requireEnv, requireIntEnv } from '../shared/env.js';
import { createLogger, createMetrics, lambdaHandler } from '../shared/observability.js';
import { reportRestore } from './report.js';

const logger = createLogger('restore-report');
const config = {
  environment: requireEnv('ENVIRONMENT'),
  bucket: requireEnv('REPORT_BUCKET'),
  topicArn: requireEnv('ALERT_TOPIC_ARN'),
  rtoTargetSeconds: requireIntEnv('RTO_TARGET_SECONDS'),
};
const metrics = createMetrics(METRIC_SERVICES.restore, config.environment);
const deps = { s3: new S3Client({}), sns: new SNSClient({}), metrics, now: () => new Date() };

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const result = await reportRestore(event, config, deps);
  logger.info('restore reported', result);
  return result;
});
