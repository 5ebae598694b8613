import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { EnvironmentConfig } from '../../config/schema.js';

export interface DrRegionDrillProps {
  /** The environment's validated configuration: `drill` (class, tables, verifier, timeouts) and `drRegionDrill`. */
  readonly config: EnvironmentConfig;
  /** The DR-region VPC; the scratch instances and the verifier live in `subnets`. */
  readonly vpc: ec2.IVpc;
  /** Isolated subnets of `vpc` (no route to the internet). */
  readonly subnets: ec2.SubnetSelection;
  /** Security group of the Lambdas that talk to PostgreSQL (here: the verifier); the scratch instances admit it. */
  readonly lambdaSecurityGroup: ec2.ISecurityGroup;
  /** The DR region's database key: encrypts the replicated backups (so RDS needs a grant on it), logs and the queue. */
  readonly key: kms.IKey;
  /**
   * Keys the replicated backups are encrypted with, when not `key` (the DR region stack's replication key): RDS
   * needs a grant on them to restore. @default - none beyond `key`
   */
  readonly backupKeys?: kms.IKey[];
  readonly alertTopic: sns.ITopic;
  readonly reportBucket: s3.IBucket;
  /** The primary instance, in the primary region: its replicated backups are restored; it is never changed. */
  readonly primaryInstanceId: string;
  readonly primaryInstanceArn: string;
  /**
   * The standby replica in this region, which no drill role may change.
   * @default `authdb-ENV-standby`
   */
  readonly standbyInstanceId?: string;
}
