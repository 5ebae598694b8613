import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.js';
import { templateOf } from '../support/app.js';

/**
 * The audit trail survives the recovery stack: its log groups (workflows and Lambdas) are kept with the configured
 * retention when the stack is deleted, and report buckets keep every version for the report retention, with S3
 * access logs kept as long.
 */

// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation is untyped JSON
type Cfn = Record<string, any>;
const resources = (template: Template, type: string) => Object.entries(template.findResources(type)) as [string, Cfn][];

describe.each(['dev', 'staging', 'prod'] as const)('audit trail (%s)', (env) => {
  const config = loadConfig(env);
  // Synthesis is the slow part: done (and cached) before the tests, under the hook timeout.
  beforeAll(() => {
    for (const stack of ['recovery', 'backup'] as const) templateOf(env, stack);
  });

  it('keeps every log group of the recovery stack, with the retention of config, encrypted', () => {
    const template = templateOf(env, 'recovery');
    const groups = resources(template, 'AWS::Logs::LogGroup');
    // Every state machine's execution log and every function's log (workflows, bootstrap, monitors).
    const stateMachines = resources(template, 'AWS::StepFunctions::StateMachine');
    expect(stateMachines.length).toBeGreaterThanOrEqual(2);
    expect(groups.filter(([id]) => id.includes('ExecutionLogs'))).toHaveLength(stateMachines.length);
    expect(groups.length).toBeGreaterThanOrEqual(12);
    for (const [id, group] of groups) {
      expect(group.DeletionPolicy, id).toBe('Retain');
      expect(group.UpdateReplacePolicy, id).toBe('Retain');
      expect(group.Properties.RetentionInDays, id).toBe(config.logRetentionDays);
      expect(group.Properties.KmsKeyId, id).toBeDefined();
    }
  });

  describe.each([
    {
      stack: 'recovery' as const,
      prefix: 'Reports7',
      logsPrefix: 'ReportsAccessLogs',
      days: config.drill.reportRetentionDays,
    },
    {
      stack: 'backup' as const,
      prefix: 'AuditReports5',
      logsPrefix: 'AuditReportsAccessLogs',
      days: config.backup.reportRetentionDays,
    },
  ])('the $stack stack report bucket', ({ stack, prefix, logsPrefix, days }) => {
    const find = (type: string, start: string) => {
      const found = resources(templateOf(env, stack), type).filter(([id]) => id.startsWith(start));
      expect(found, `${type} ${start}*`).toHaveLength(1);
      return found[0]!;
    };

    it(`keeps every version of a report for the report retention (${days} days), then expires it`, () => {
      const [, bucket] = find('AWS::S3::Bucket', prefix);
      expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(bucket.Properties.LifecycleConfiguration.Rules).toContainEqual(
        expect.objectContaining({ ExpirationInDays: days, NoncurrentVersionExpiration: { NoncurrentDays: days } }),
      );
    });

    it('logs every access into a retained, versioned, private bucket kept as long, written only by S3 logging', () => {
      const [bucketId, bucket] = find('AWS::S3::Bucket', prefix);
      const [logsId, logs] = find('AWS::S3::Bucket', logsPrefix);
      expect(bucket.Properties.LoggingConfiguration).toEqual({
        DestinationBucketName: { Ref: logsId },
        LogFilePrefix: 'reports/',
      });
      expect(logs.DeletionPolicy).toBe('Retain');
      expect(logs.Properties).toMatchObject({
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      });
      expect(logs.Properties.LifecycleConfiguration.Rules).toContainEqual(
        expect.objectContaining({ ExpirationInDays: days, NoncurrentVersionExpiration: { NoncurrentDays: days } }),
      );
      const [, policy] = find('AWS::S3::BucketPolicy', `${logsPrefix}Policy`);
      const allows = policy.Properties.PolicyDocument.Statement.filter((s: Cfn) => s.Effect === 'Allow');
      expect(allows).toEqual([
        expect.objectContaining({
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Action: 's3:PutObject',
          Condition: {
            ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucketId, 'Arn'] } },
            StringEquals: { 'aws:SourceAccount': config.account },
          },
        }),
      ]);
    });
  });
});
