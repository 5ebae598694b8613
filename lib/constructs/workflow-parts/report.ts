import type { Duration } from 'aws-cdk-lib';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { WorkflowEnvironmentValues } from '../function-environment.js';

export interface ReportTargets {
  readonly reportBucket: s3.IBucket;
  readonly alertTopic: sns.ITopic;
  readonly rtoTarget: Duration;
}

/** What every report function is told: where the report goes, who is told, and the RTO target it judges by. */
export function reportEnvironment(t: ReportTargets): WorkflowEnvironmentValues<'restore-report'> {
  return {
    REPORT_BUCKET: t.reportBucket.bucketName,
    ALERT_TOPIC_ARN: t.alertTopic.topicArn,
    RTO_TARGET_SECONDS: t.rtoTarget.toSeconds(),
  };
}
