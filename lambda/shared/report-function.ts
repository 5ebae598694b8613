import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import type { MetricService } from '../../contract/metrics.js';
import { createMetrics } from './observability.js';
import type { ReportDeps } from './reporting.js';

/** What every report function's environment has (contract/env.ts: the report functions' shared part). */
export interface ReportEnvironment {
  readonly ENVIRONMENT: string;
  readonly REPORT_BUCKET: string;
  readonly ALERT_TOPIC_ARN: string;
  readonly RTO_TARGET_SECONDS: number;
}

/**
 * The part every report function shares: where its report goes and who is told (config), and the clients and
 * metrics (under `service`) it does that with (deps). Built once per cold start.
 */
export function reportFunction(env: ReportEnvironment, service: MetricService) {
  return {
    config: {
      environment: env.ENVIRONMENT,
      bucket: env.REPORT_BUCKET,
      topicArn: env.ALERT_TOPIC_ARN,
      rtoTargetSeconds: env.RTO_TARGET_SECONDS,
    },
    deps: {
      s3: new S3Client({}),
      sns: new SNSClient({}),
      metrics: createMetrics(service, env.ENVIRONMENT),
      now: () => new Date(),
    } satisfies ReportDeps,
  };
}
