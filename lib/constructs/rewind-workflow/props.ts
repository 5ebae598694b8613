import type { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { AuthDatabase } from '../auth-database.js';
import type { DelayedReplica } from '../delayed-replica.js';
import type { LambdaFunction } from '../lambda-function.js';

export interface RewindWorkflowProps {
  readonly environment: string;
  readonly vpc: ec2.IVpc;
  /** Production: named in the report and protected by an explicit deny. */
  readonly database: AuthDatabase;
  readonly replica: DelayedReplica;
  readonly key: kms.IKey;
  readonly alertTopic: sns.ITopic;
  readonly reportBucket: s3.IBucket;
  readonly databaseName: string;
  readonly replayControlRole: string;
  readonly verifierRole: string;
  readonly tables: { name: string; timeColumn?: string; tolerance: number }[];
  readonly concurrency: number;
  readonly margin: Duration;
  readonly poll: Duration;
  readonly replayTimeout: Duration;
  readonly promoteTimeout: Duration;
  /** Automated backups of the promoted instance. */
  readonly backupRetention: Duration;
  readonly rtoTarget: Duration;
  /** The restore's guarded cutover, which a confirmed rewind hands the promoted replica over to. */
  readonly cutover: {
    readonly function: LambdaFunction;
    readonly rollBackStateMachine: sfn.IStateMachine;
    /** Two-person rule: the restore's approval function and timeout (see RewindCutoverProps.approval). */
    readonly approval?: { readonly function: LambdaFunction; readonly timeout: Duration };
  };
  /** Looks at an instance by name while the cutover renames (the drill's instance-status function). */
  readonly statusFunction: LambdaFunction;
  readonly logRetention: logs.RetentionDays;
}
