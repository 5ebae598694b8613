import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { DR_REGION_DRILL_METRICS } from '../../contract/metrics.js';
import { functionEnvironment } from '../shared/env.js';
import { createLogger, createMetrics, lambdaHandler } from '../shared/observability.js';
import { reportDrRegionDrill } from './report.js';

const logger = createLogger('dr-drill-report');
const env = functionEnvironment('dr-drill-report');
const config = {
  environment: env.ENVIRONMENT,
  bucket: env.REPORT_BUCKET,
  topicArn: env.ALERT_TOPIC_ARN,
  rtoTargetSeconds: env.RTO_TARGET_SECONDS,
  rpoTargetSeconds: env.RPO_TARGET_SECONDS,
};
const metrics = createMetrics(DR_REGION_DRILL_METRICS.service, config.environment);
const deps = { s3: new S3Client({}), sns: new SNSClient({}), metrics, now: () => new Date() };

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const result = await reportDrRegionDrill(event, config, deps);
  logger.info('DR-region drill reported', result);
  return result;
});
