import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface ReportBucketProps {
  /** Encrypts every object; without a bucket key, so each read is a kms:Decrypt that CloudTrail records. */
  readonly key: kms.IKey;
  /** How long reports are kept. */
  readonly retention: Duration;
  /** Who writes and reads the reports, for the reasons given to cdk-nag. */
  readonly writtenBy: string;
  /** Why a copy in a second region adds nothing. */
  readonly whyNoReplication: string;
}

/**
 * A bucket for reports: KMS-encrypted with our key, SSL only, versioned, no public access, expiring after the
 * retention, and kept when its stack is deleted.
 */
export class ReportBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: ReportBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Resource', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: false,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        { expiration: props.retention, noncurrentVersionExpiration: Duration.days(30) },
        { abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const noAccessLogs =
      `Written only by ${props.writtenBy}: every object read is a kms:Decrypt with our key (no bucket key), which ` +
      'CloudTrail records with the caller and the object ARN; an access-log bucket could be neither KMS-encrypted ' +
      'nor logged itself.';
    Validations.of(this.bucket.node.defaultChild!).acknowledge(
      { id: 'AwsSolutions::AwsSolutions-S1', reason: noAccessLogs },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-S3BucketLoggingEnabled', reason: noAccessLogs },
      { id: 'HIPAA.Security::HIPAA.Security-S3BucketLoggingEnabled', reason: noAccessLogs },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled', reason: props.whyNoReplication },
      { id: 'HIPAA.Security::HIPAA.Security-S3BucketReplicationEnabled', reason: props.whyNoReplication },
    );
  }
}
