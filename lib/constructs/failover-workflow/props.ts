import type { Duration } from 'aws-cdk-lib';
import type * as backup from 'aws-cdk-lib/aws-backup';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';

export interface FailoverWorkflowProps {
  readonly environment: string;
  readonly vpc: ec2.IVpc;
  /** Encrypts logs; restores of the replicated backups and vault copies need the keys below too. */
  readonly key: kms.IKey;
  /** Keys of this region the restores read: the replicated automated backups' and the DR vault's. */
  readonly sourceKeys: kms.IKey[];
  readonly primaryInstanceId: string;
  readonly standbyInstanceId: string;
  /** Security group of the DR-region databases (standby and restored instances). */
  readonly databaseSecurityGroup: ec2.ISecurityGroup;
  readonly subnetGroup: rds.ISubnetGroup;
  readonly parameterGroupName: string;
  readonly vault: backup.IBackupVault;
  readonly alertTopic: sns.ITopic;
  readonly reportBucket: s3.IBucket;
  readonly databaseName: string;
  readonly verifierRole: string;
  readonly tables: { name: string; timeColumn?: string; tolerance: number }[];
  readonly concurrency: number;
  readonly statementTimeout: Duration;
  readonly instanceClasses: string[];
  readonly backupRetention: Duration;
  readonly poll: Duration;
  readonly promoteTimeout: Duration;
  readonly restoreTimeout: Duration;
  readonly maxDataAge: Duration;
  readonly rtoTarget: Duration;
  readonly rpoTarget: Duration;
  readonly logRetention: logs.RetentionDays;
}
