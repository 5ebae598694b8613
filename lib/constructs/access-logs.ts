import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

export interface AccessLogsProps {
  readonly lifecycleRules: s3.LifecycleRule[];
  /** Why the logs bucket has no access logs of its own, and why it is not replicated (for cdk-nag). */
  readonly whyNoLogsOfLogs: string;
  readonly whyNoReplication: string;
}

/**
 * A bucket (construct id `AccessLogs`) for S3 server access logs: SSL only, versioned, no public access, kept when
 * its stack is deleted. S3 delivers server access logs only to buckets encrypted with S3-managed keys.
 */
export function accessLogsBucket(scope: Construct, props: AccessLogsProps): s3.Bucket {
  const bucket = new s3.Bucket(scope, 'AccessLogs', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    versioned: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    lifecycleRules: props.lifecycleRules,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const sseS3 = 'S3 server access logging delivers only to buckets encrypted with S3-managed keys (SSE-S3), not KMS.';
  Validations.of(bucket.node.defaultChild!).acknowledge(
    { id: 'AwsSolutions::AwsSolutions-S1', reason: props.whyNoLogsOfLogs },
    { id: 'NIST.800.53.R5::NIST.800.53.R5-S3BucketLoggingEnabled', reason: props.whyNoLogsOfLogs },
    { id: 'HIPAA.Security::HIPAA.Security-S3BucketLoggingEnabled', reason: props.whyNoLogsOfLogs },
    { id: 'NIST.800.53.R5::NIST.800.53.R5-S3DefaultEncryptionKMS', reason: sseS3 },
    { id: 'HIPAA.Security::HIPAA.Security-S3DefaultEncryptionKMS', reason: sseS3 },
    { id: 'NIST.800.53.R5::NIST.800.53.R5-S3BucketReplicationEnabled', reason: props.whyNoReplication },
    { id: 'HIPAA.Security::HIPAA.Security-S3BucketReplicationEnabled', reason: props.whyNoReplication },
  );
  return bucket;
}

/**
 * Server access logs of `bucket` into `accessLogs` under `prefix`, delivered by the logging service under a bucket
 * policy (statement `sid`): ACLs are disabled (bucket owner enforced), so it is set on the L1, where the L2 would
 * use ACLs unless a feature flag this project does not set is on.
 */
export function logAccess(bucket: s3.Bucket, accessLogs: s3.IBucket, prefix: string, sid: string): void {
  (bucket.node.defaultChild as s3.CfnBucket).loggingConfiguration = {
    destinationBucketName: accessLogs.bucketName,
    logFilePrefix: prefix,
  };
  accessLogs.addToResourcePolicy(
    new iam.PolicyStatement({
      sid,
      principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
      actions: ['s3:PutObject'],
      resources: [accessLogs.arnForObjects(`${prefix}*`)],
      conditions: {
        ArnLike: { 'aws:SourceArn': bucket.bucketArn },
        StringEquals: { 'aws:SourceAccount': Stack.of(bucket).account },
      },
    }),
  );
}
