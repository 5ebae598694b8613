import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { LAMBDA_RUNTIME } from '../../contract/env.js';
import { METRIC_SERVICES } from '../../contract/metrics.js';
import { functionEnvironment } from '../shared/env.js';
import { createLogger, createMetrics, lambdaHandler } from '../shared/observability.js';
import { reportFailover } from './report.js';

const logger = createLogger('failover-report');
const env = functionEnvironment('failover-report', LAMBDA_RUNTIME);
const environment = env.ENVIRONMENT;
const config = {
  environment,
  region: env.AWS_REGION,
  bucket: env.REPORT_BUCKET,
  topicArn: env.ALERT_TOPIC_ARN,
  rtoTargetSeconds: env.RTO_TARGET_SECONDS,
  rpoTargetSeconds: env.RPO_TARGET_SECONDS,
  databaseName: env.DATABASE_NAME,
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
