import type { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { AuthDatabase } from '../auth-database.js';
import type { LambdaFunction } from '../lambda-function.js';

export interface RestoreTestValidationProps {
  readonly environment: string;
  readonly key: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly vpc: ec2.IVpc;
  /** The production database: the restore is compared with its schema and settled rows. */
  readonly database: AuthDatabase;
  readonly databaseName: string;
  /** AWS Backup restore testing plan whose jobs are validated, and the security group its instances get. */
  readonly restoreTestingPlanArn: string;
  readonly restoreTestingSecurityGroup: ec2.ISecurityGroup;
  readonly verifierRole: string;
  readonly tables: ReadonlyArray<{ name: string; timeColumn?: string; tolerance: number }>;
  readonly settle: Duration;
  readonly concurrency: number;
  readonly statementTimeout: Duration;
  /** The newest restored row may be at most this much older than the recovery point. */
  readonly maxDataAge: Duration;
  /** The drill's one-look-at-an-instance function, reused for the wait loop. */
  readonly statusFunction: LambdaFunction;
  readonly maxWait: Duration;
  readonly poll: Duration;
  readonly alertTopic: sns.ITopic;
}
