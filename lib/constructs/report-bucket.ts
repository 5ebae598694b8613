import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { accessLogsBucket, logAccess } from './access-logs.js';

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
 * A bucket for reports: KMS-encrypted with our key, SSL only, versioned (an overwritten or deleted report stays
 * readable for the whole retention), no public access, expiring after the retention, kept when its stack is deleted,
 * and with S3 server access logs in a second bucket kept as long.
 */
export class ReportBucket extends Construct {
  readonly bucket: s3.Bucket;
  /** Who read, wrote or deleted which report: S3 server access logs of `bucket`. */
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: ReportBucketProps) {
    super(scope, id);
    const keepFor = { expiration: props.retention, noncurrentVersionExpiration: props.retention };
    const abortUploads = { abortIncompleteMultipartUploadAfter: Duration.days(7) };
    this.accessLogs = accessLogsBucket(this, {
      lifecycleRules: [keepFor, abortUploads],
      whyNoLogsOfLogs:
        "The access logs of the report bucket: logging this bucket's own access would need a third bucket, and so " +
        'on; it is written only by the S3 logging service (bucket policy) and read by auditors.',
      whyNoReplication: `Access logs of reports that are themselves not replicated: ${props.whyNoReplication}`,
    });
    this.bucket = new s3.Bucket(this, 'Resource', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: false,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [keepFor, abortUploads],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    logAccess(this.bucket, this.accessLogs, 'reports/', 'AllowServerAccessLogsOfTheReportBucket');
    Validations.of(this.bucket.node.defaultChild!).acknowledge(
      { id: 'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled', reason: props.whyNoReplication },
      { id: 'HIPAA.Security::HIPAA.Security-S3BucketReplicationEnabled', reason: props.whyNoReplication },
    );
  }
}
