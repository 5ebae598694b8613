import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { LOGICAL_DUMP_METRICS } from '../../contract/logical-dump.js';
import { loadConfig } from '../../lib/config/load.js';
import { environmentStacks, templateOf } from '../support/app.js';

const LOCK = { dev: ['GOVERNANCE', 7, 90], staging: ['GOVERNANCE', 7, 90], prod: ['COMPLIANCE', 35, 180] } as const;

describe.each(['dev', 'prod'] as const)('logical backup stacks (%s)', (env) => {
  const primary = templateOf(env, 'logicalBackup');
  const dr = templateOf(env, 'logicalBackupDr');
  const config = loadConfig(env);
  const [mode, lockDays, expireDays] = LOCK[env];
  const dumpBucket = (template: typeof primary) =>
    Object.values(template.findResources('AWS::S3::Bucket')).find((b) => b.Properties.ObjectLockEnabled)!;

  it('places the buckets in the two regions, stateful with termination protection in prod', () => {
    const { logicalBackup, logicalBackupDr } = environmentStacks(env);
    expect(logicalBackup.region).toBe(config.primaryRegion);
    expect(logicalBackupDr.region).toBe(config.drRegion);
    expect(logicalBackup.terminationProtection).toBe(env === 'prod');
    expect(logicalBackup.dependencies).toContain(logicalBackupDr);
  });

  it.each([
    ['primary', primary, config.primaryRegion],
    ['DR', dr, config.drRegion],
  ] as const)('locks, encrypts, logs and ages the %s bucket', (_, template, region) => {
    const bucket = dumpBucket(template);
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      BucketName: `authdb-dr-${env}-logical-dumps-${config.account}-${region}`,
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: mode, Days: lockDays } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: expect.anything() } },
        ],
      },
      LoggingConfiguration: { DestinationBucketName: expect.anything(), LogFilePrefix: 'dumps/' },
    });
    const rule = bucket.Properties.LifecycleConfiguration.Rules.find(
      (r: { Id: string }) => r.Id === 'standard-then-glacier-then-expire',
    );
    expect(rule).toMatchObject({
      Transitions: [{ StorageClass: 'GLACIER', TransitionInDays: 30 }],
      ExpirationInDays: expireDays,
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('replicates the primary bucket, locks included, into the DR bucket re-encrypted with the DR key', () => {
    const replication = dumpBucket(primary).Properties.ReplicationConfiguration;
    expect(replication.Rules).toEqual([
      expect.objectContaining({
        Status: 'Enabled',
        Destination: expect.objectContaining({
          Bucket: `arn:aws:s3:::authdb-dr-${env}-logical-dumps-${config.account}-${config.drRegion}`,
          EncryptionConfiguration: { ReplicaKmsKeyID: expect.anything() },
        }),
        SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
      }),
    ]);
    expect(dumpBucket(dr).Properties.ReplicationConfiguration).toBeUndefined();
    const replicationPolicy = Object.entries(primary.findResources('AWS::IAM::Policy')).find(([id]) =>
      id.startsWith('DumpsReplicationRoleDefaultPolicy'),
    )![1];
    const actions = replicationPolicy.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) =>
      [s.Action].flat(),
    );
    expect(actions).toEqual(
      expect.arrayContaining(['s3:GetObjectRetention', 's3:GetObjectLegalHold', 's3:ReplicateObject']),
    );
  });

  it('wraps archive data keys with a multi-Region key whose primary is in the DR region', () => {
    dr.hasResourceProperties('AWS::KMS::Key', { MultiRegion: true, EnableKeyRotation: true });
    primary.resourceCountIs('AWS::KMS::ReplicaKey', 1);
  });

  it('runs the dump as a Fargate task in isolated subnets on the configured schedule', () => {
    primary.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      Cpu: String(config.logicalBackup.cpu),
      Memory: String(config.logicalBackup.memoryMiB),
      EphemeralStorage: { SizeInGiB: config.logicalBackup.ephemeralStorageGiB },
      ContainerDefinitions: [
        Match.objectLike({
          Environment: Match.arrayWith([
            { Name: 'AUTHDB_ENVIRONMENT', Value: env },
            { Name: 'DB_USER', Value: 'authdb_dump' },
          ]),
        }),
      ],
    });
    primary.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 3 * * ? *)',
      ScheduleExpressionTimezone: 'Asia/Seoul',
      Target: {
        EcsParameters: {
          LaunchType: 'FARGATE',
          NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'DISABLED' } },
        },
      },
    });
    for (const service of ['ecr.api', 'ecr.dkr', 'logs', 'kms']) {
      primary.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        ServiceName: `com.amazonaws.${config.primaryRegion}.${service}`,
        PrivateDnsEnabled: true,
      });
    }
  });

  it('lets the task connect as the dump role only, and use the archive key only for its environment', () => {
    const policies = JSON.stringify(primary.findResources('AWS::IAM::Policy'));
    expect(policies).toContain(':dbuser:');
    expect(policies).toContain('/authdb_dump');
    primary.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'DumpDataKeys',
            Condition: {
              StringEquals: {
                'kms:EncryptionContext:purpose': 'authdb-dr-logical-dump',
                'kms:EncryptionContext:environment': env,
              },
            },
          }),
        ]),
      },
    });
  });

  it('alarms on a failed dump, a task that failed or never started, the schedule, and no verified dump in 26 hours', () => {
    const alarms = primary.findResources('AWS::CloudWatch::Alarm');
    expect(Object.keys(alarms)).toHaveLength(3);
    primary.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: LOGICAL_DUMP_METRICS.verified,
      Namespace: 'AuthDbDr',
      Dimensions: Match.arrayWith([{ Name: 'Environment', Value: env }]),
      Period: 3600,
      EvaluationPeriods: 26,
      DatapointsToAlarm: 26,
      TreatMissingData: 'breaching',
      ComparisonOperator: 'LessThanThreshold',
      AlarmActions: [Match.anyValue()],
    });
    primary.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: LOGICAL_DUMP_METRICS.failed });
    const rules = Object.values(primary.findResources('AWS::Events::Rule')).map((r) => r.Properties.EventPattern);
    expect(rules).toContainEqual(
      expect.objectContaining({
        'detail-type': ['ECS Task State Change'],
        detail: expect.objectContaining({ stopCode: ['TaskFailedToStart'] }),
      }),
    );
    expect(rules).toContainEqual(
      expect.objectContaining({
        detail: expect.objectContaining({ containers: { exitCode: [{ 'anything-but': 0 }] } }),
      }),
    );
  });
});
