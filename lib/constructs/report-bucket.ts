import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
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
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      // S3 delivers server access logs only to buckets encrypted with S3-managed keys.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [keepFor, abortUploads],
      removalPolicy: RemovalPolicy.RETAIN,
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
    // Delivered by the logging service under a bucket policy (ACLs are disabled: bucket owner enforced).
    const logPrefix = 'reports/';
    (this.bucket.node.defaultChild as s3.CfnBucket).loggingConfiguration = {
      destinationBucketName: this.accessLogs.bucketName,
      logFilePrefix: logPrefix,
    };
    const stack = Stack.of(this);
    this.accessLogs.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowServerAccessLogsOfTheReportBucket',
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.accessLogs.arnForObjects(`${logPrefix}*`)],
        conditions: {
          ArnLike: { 'aws:SourceArn': this.bucket.bucketArn },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
    );
    Validations.of(this.bucket.node.defaultChild!).acknowledge(
      { id: 'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled', reason: props.whyNoReplication },
      { id: 'HIPAA.Security::HIPAA.Security-S3BucketReplicationEnabled', reason: props.whyNoReplication },
    );
    const logsOfLogs =
      "The access logs of the report bucket: logging this bucket's own access would need a third bucket, and so on; " +
      'it is written only by the S3 logging service (bucket policy) and read by auditors.';
    const sseS3 = 'S3 server access logging delivers only to buckets encrypted with S3-managed keys (SSE-S3), not KMS.';
    const noReplication = `Access logs of reports that are themselves not replicated: ${props.whyNoReplication}`;
    Validations.of(this.accessLogs.node.defaultChild!).acknowledge(
      { id: 'AwsSolutions::AwsSolutions-S1', reason: logsOfLogs },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-S3BucketLoggingEnabled', reason: logsOfLogs },
      { id: 'HIPAA.Security::HIPAA.Security-S3BucketLoggingEnabled', reason: logsOfLogs },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-S3DefaultEncryptionKMS', reason: sseS3 },
      { id: 'HIPAA.Security::HIPAA.Security-S3DefaultEncryptionKMS', reason: sseS3 },
      { id: 'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled', reason: noReplication },
      { id: 'HIPAA.Security::HIPAA.Security-S3BucketReplicationEnabled', reason: noReplication },
    );
  }
}
