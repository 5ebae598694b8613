import type { Duration } from 'aws-cdk-lib';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';

export interface ReportTargets {
  readonly reportBucket: s3.IBucket;
  readonly alertTopic: sns.ITopic;
  readonly rtoTarget: Duration;
  /** @default - no RPO target (the workflow does not measure one) */
  readonly rpoTarget?: Duration;
}

/** The environment of a report function: where the report goes, who is told, and the targets it is measured by. */
export function reportEnvironment(t: ReportTargets, more: Record<string, string> = {}): Record<string, string> {
  return {
    REPORT_BUCKET: t.reportBucket.bucketName,
    ALERT_TOPIC_ARN: t.alertTopic.topicArn,
    RTO_TARGET_SECONDS: String(t.rtoTarget.toSeconds()),
    ...(t.rpoTarget ? { RPO_TARGET_SECONDS: String(t.rpoTarget.toSeconds()) } : {}),
    ...more,
  };
}
