import type { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { VerifiedTable } from '../../config/drill-schema.js';
import type { AuthDatabase } from '../auth-database.js';

export interface DrDrillWorkflowProps {
  readonly environment: string;
  readonly vpc: ec2.IVpc;
  /** The production database the drill restores from. */
  readonly database: AuthDatabase;
  /** The database's key: RDS needs a grant on it to restore; it also encrypts this workflow's logs and queue. */
  readonly key: kms.IKey;
  readonly alertTopic: sns.ITopic;
  readonly reportBucket: s3.IBucket;
  readonly databaseName: string;
  /** EventBridge Scheduler expression, e.g. `cron(0 10 ? * WED *)`, in `scheduleTimeZone`. */
  readonly schedule: string;
  readonly scheduleTimeZone: string;
  readonly instanceClass: string;
  readonly maxWait: Duration;
  readonly poll: Duration;
  readonly settle: Duration;
  readonly tables: VerifiedTable[];
  /** Read-only PostgreSQL role the verifier logs in as, with IAM database authentication. */
  readonly verifierRole: string;
  readonly concurrency: number;
  readonly statementTimeout: Duration;
  readonly sweeperMaxAge: Duration;
  readonly rtoTarget: Duration;
  readonly rpoTarget: Duration;
  readonly logRetention: logs.RetentionDays;
}
