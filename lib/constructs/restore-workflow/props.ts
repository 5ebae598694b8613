import type { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { AuthDatabase } from '../auth-database.js';
import type { LambdaFunction } from '../lambda-function.js';

export interface RestoreWorkflowProps {
  readonly environment: string;
  readonly database: AuthDatabase;
  /** The database key: restores, Performance Insights and the new master secret use it; it encrypts logs too. */
  readonly key: kms.IKey;
  /** The DR-region key that encrypts replicated automated backups (a cross-region reference). */
  readonly drKey: kms.IKey;
  readonly drRegion: string;
  readonly replicatedBackupRetention: Duration;
  readonly allowedInstanceClasses: string[];
  /** Every class an instance the cutover renames may have (the source's and the allowed restore classes). */
  readonly cutoverInstanceClasses: string[];
  /** The largest storage an instance here may have (storage autoscaling's maximum): a rename never exceeds it. */
  readonly maxStorageGiB: number;
  /** How a cutover is guarded: a data-loss acknowledgement for old recovery points. */
  readonly cutover: {
    /** A cutover to a recovery point older than this needs `cutover.acceptDataLossHours` in the input. */
    readonly dataLossAcknowledgementAfter: Duration;
    /**
     * Two-person rule: a confirmed cutover waits this long for another principal's approval, then ends without it.
     * @default - no approval (the cutover follows the verification at once)
     */
    readonly approvalTimeout?: Duration;
  };
  readonly alertTopic: sns.ITopic;
  readonly reportBucket: s3.IBucket;
  /** The drill's building blocks this workflow shares: one look at an instance, and the row-count verifier. */
  readonly statusFunction: LambdaFunction;
  readonly verifierFunction: LambdaFunction;
  readonly maxWait: Duration;
  readonly poll: Duration;
  readonly rtoTarget: Duration;
  readonly logRetention: logs.RetentionDays;
}
