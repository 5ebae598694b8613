import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { accessLogsBucket, logAccess } from './access-logs.js';
import { EncryptionKey, type KeyAdministration } from './encryption-key.js';
import { acknowledgeInlinePolicy, acknowledgeWildcard } from './nag.js';

export interface LogicalBackupBucketProps {
  /** A fixed name: the CLI and the replication rule find the bucket by it. */
  readonly bucketName: string;
  /** Alias of the bucket's own key, without `alias/`. */
  readonly keyAlias: string;
  readonly description: string;
  /** The break-glass and deployment roles, the only principals exempt from the key policy's denies. */
  readonly keyAdministration: KeyAdministration;
  readonly lockMode: 'GOVERNANCE' | 'COMPLIANCE';
  /** How long every object version is locked. */
  readonly lockRetention: Duration;
  /** Time in S3 Standard before Glacier Flexible Retrieval. */
  readonly standardFor: Duration;
  /** When dumps expire (their lock has ended long before). */
  readonly expireAfter: Duration;
  /** Replicate every object (with its lock) to this bucket, re-encrypted with its key. @default - no replication */
  readonly replicateTo?: { bucket: s3.IBucket; key: kms.IKey };
}

/**
 * Where the encrypted dumps live: its own KMS key, versioning, Object Lock with a default retention, no public
 * access, TLS only, server access logs, Standard then Glacier until expiry, and (in the primary region) replication
 * of every object, lock included, to the DR-region bucket.
 */
export class LogicalBackupBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly key: kms.IKey;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: LogicalBackupBucketProps) {
    super(scope, id);
    this.key = new EncryptionKey(this, 'Key', {
      alias: props.keyAlias,
      description: props.description,
      administration: props.keyAdministration,
    }).key;

    this.accessLogs = accessLogsBucket(this, {
      lifecycleRules: [{ expiration: Duration.days(400), noncurrentVersionExpiration: Duration.days(30) }],
      whyNoLogsOfLogs:
        "This bucket holds the dump bucket's server access logs; logging it into itself would loop and a third " +
        'bucket would only move the question.',
      whyNoReplication: 'Access logs are kept in their region; the dumps they describe are replicated.',
    });

    const retention =
      props.lockMode === 'COMPLIANCE'
        ? s3.ObjectLockRetention.compliance(props.lockRetention)
        : s3.ObjectLockRetention.governance(props.lockRetention);
    this.bucket = new s3.Bucket(this, 'Resource', {
      bucketName: props.bucketName,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: retention,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          id: 'standard-then-glacier-then-expire',
          transitions: [{ storageClass: s3.StorageClass.GLACIER, transitionAfter: props.standardFor }],
          expiration: props.expireAfter,
          // Versions replaced by a newer one (the manifest's verified version) go once their lock has ended.
          noncurrentVersionExpiration: props.expireAfter,
        },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(2) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
      ...(props.replicateTo
        ? {
            replicationRules: [
              {
                destination: props.replicateTo.bucket,
                kmsKey: props.replicateTo.key,
                sseKmsEncryptedObjects: true,
                deleteMarkerReplication: false,
                priority: 1,
              },
            ],
          }
        : {}),
    });
    logAccess(this.bucket, this.accessLogs, 'dumps/', 'S3ServerAccessLogs');
    const replicationRole = this.bucket.node.tryFindChild('ReplicationRole');
    if (replicationRole instanceof iam.Role) {
      const policy = replicationRole.node.findChild('DefaultPolicy');
      acknowledgeInlinePolicy(policy);
      const why = {
        'Action::kms:GenerateDataKey*':
          "CDK's replication grant on the replica's key: S3 re-encrypts each object with it.",
        'Action::kms:ReEncrypt*': "CDK's replication grant on the replica's key: S3 re-encrypts each object with it.",
        [`Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*`]:
          'S3 replicates every object version of this bucket (and reads its lock) as it is written.',
      };
      for (const [finding, reason] of Object.entries(why)) acknowledgeWildcard(policy, finding, reason);
      if (props.replicateTo) {
        acknowledgeWildcard(
          policy,
          `Resource::${props.replicateTo.bucket.bucketArn}/*`,
          'S3 writes every replicated object version into the DR-region replica bucket.',
        );
      }
      // Replicating locked objects: S3 reads each version's retention and legal hold to apply them at the replica.
      replicationRole.addToPolicy(
        new iam.PolicyStatement({
          actions: ['s3:GetObjectRetention', 's3:GetObjectLegalHold'],
          resources: [this.bucket.arnForObjects('*')],
        }),
      );
    }
    if (!props.replicateTo) {
      const reason = "This is the DR-region replica: it receives the primary bucket's objects and replicates nowhere.";
      Validations.of(this.bucket.node.defaultChild!).acknowledge(
        { id: 'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled', reason },
        { id: 'HIPAA.Security::HIPAA.Security-S3BucketReplicationEnabled', reason },
      );
    }
  }
}
