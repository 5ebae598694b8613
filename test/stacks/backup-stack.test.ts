import { Duration, TimeZone } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.js';
import { DatabaseBackupPlan } from '../../lib/constructs/backup-plan.js';
import { environmentStacks, templateOf } from '../support/app.js';

const ENVIRONMENTS = ['dev', 'prod'] as const;
const FIVE_PROTECTED_ACTIONS = [
  'backup:DeleteRecoveryPoint',
  'backup:UpdateRecoveryPointLifecycle',
  'backup:DisassociateRecoveryPoint',
  'backup:PutBackupVaultAccessPolicy',
  'backup:DeleteBackupVaultAccessPolicy',
];

// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation is untyped JSON; the assertions check its shape.
type Cfn = any;

interface CfnResource {
  Properties: Record<string, Cfn>;
  DeletionPolicy?: string;
  DependsOn?: string[];
}

function only(
  template: Template,
  type: string,
  prefix = '',
): { id: string; props: Record<string, Cfn>; resource: CfnResource } {
  const found = Object.entries(template.findResources(type)).filter(([id]) => id.startsWith(prefix));
  expect(found, `exactly one ${type}`).toHaveLength(1);
  const [id, resource] = found[0]!;
  return { id, props: resource.Properties, resource: resource as CfnResource };
}

function all(template: Template, type: string): [string, CfnResource][] {
  return Object.entries(template.findResources(type)) as [string, CfnResource][];
}

/** A CloudFormation value rendered as text: `Fn::Join` flattened, the partition as `aws`, other tokens as `{…}`. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, Cfn>;
    if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map(text).join(v['Fn::Join'][0]);
    if (v.Ref === 'AWS::Partition') return 'aws';
    return JSON.stringify(value);
  }
  return String(value);
}

function managedPolicyNames(role: CfnResource): string[] {
  return (role.Properties.ManagedPolicyArns as unknown[]).map((arn) => text(arn).replace(/^.*:policy\//, ''));
}

describe.each(ENVIRONMENTS)('backup stack (%s)', (env) => {
  const template = templateOf(env, 'backup');
  const config = loadConfig(env);
  const prod = env === 'prod';
  const account = config.account;
  const keyId = (prefix: string) => all(template, 'AWS::KMS::Key').find(([id]) => id.startsWith(prefix))![0];

  it('lives in the primary region, with termination protection in prod', () => {
    const { backup } = environmentStacks(env);
    expect(backup.region).toBe('ap-northeast-2');
    expect(backup.terminationProtection).toBe(prod);
    expect(backup.alertTopic).toBeDefined();
    expect(backup.vault).toBeDefined();
  });

  it('encrypts the vault with its own retained, rotating key whose only use statement is through AWS Backup', () => {
    const vault = only(template, 'AWS::Backup::BackupVault');
    expect(vault.props.BackupVaultName).toBe(`authdb-dr-${env}-primary`);
    expect(vault.props.EncryptionKeyArn).toEqual({ 'Fn::GetAtt': [keyId('VaultKey'), 'Arn'] });
    expect(vault.resource.DeletionPolicy).toBe('Retain');
    const key = template.toJSON().Resources[keyId('VaultKey')] as CfnResource;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    const statements = key.Properties.KeyPolicy.Statement as Record<string, Cfn>[];
    // Allowed: nobody outside the account, no service principal, no wildcard principal, never kms:*. What the policy
    // admits as a whole (with its denies) is proven by the IAM simulator in test/iam/keys.test.ts.
    for (const s of statements.filter((s) => s.Effect === 'Allow')) {
      expect(text(s.Principal.AWS)).toBe(`arn:aws:iam::${account}:root`);
      expect(s.Action).not.toContain('kms:*');
    }
    expect(statements.filter((s) => s.Effect === 'Deny').map((s) => s.Sid)).toEqual([
      'DenyKeyDestructionExceptBreakGlass',
      'DenyPolicyChangeExceptBreakGlassAndDeployment',
      'DenyGrantsExceptForAwsResourcesAndBreakGlass',
    ]);
    const backupUse = statements.find((s) => s.Sid === 'AllowUseThroughNamedServicesInThisAccount')!;
    expect(backupUse.Condition).toEqual({
      StringEquals: {
        'kms:CallerAccount': account,
        'kms:ViaService': ['backup.ap-northeast-2.amazonaws.com'],
      },
    });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: `alias/authdb-dr/${env}/backup-vault` });
  });

  it(`locks the vault: ${prod ? 'compliance mode, immutable after 3 days' : 'not at all'}`, () => {
    const lock = only(template, 'AWS::Backup::BackupVault').props.LockConfiguration;
    if (prod) {
      expect(lock).toEqual({ MinRetentionDays: 35, MaxRetentionDays: 365, ChangeableForDays: 3 });
      expect(lock.ChangeableForDays).toBeGreaterThanOrEqual(3);
    } else {
      expect(lock).toBeUndefined();
    }
  });

  it('denies deleting and changing recovery points and the policy to all but the break-glass and deployment roles', () => {
    const policy = only(template, 'AWS::Backup::BackupVault').props.AccessPolicy;
    expect(policy.Statement).toHaveLength(1);
    const [deny] = policy.Statement;
    expect(deny).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Resource: '*' });
    expect(deny.Action).toEqual(FIVE_PROTECTED_ACTIONS);
    expect(Object.keys(deny.Condition)).toEqual(['ArnNotEquals']);
    expect((deny.Condition.ArnNotEquals['aws:PrincipalArn'] as unknown[]).map(text)).toEqual([
      `arn:aws:iam::${account}:role/authdb-dr-break-glass`,
      `arn:aws:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-ap-northeast-2`,
    ]);
  });

  it('runs continuous backup with the database retention, and daily, weekly, monthly snapshots in Asia/Seoul time', () => {
    const rules = only(template, 'AWS::Backup::BackupPlan').props.BackupPlan.BackupPlanRule as Record<string, Cfn>[];
    const vault = { 'Fn::GetAtt': [only(template, 'AWS::Backup::BackupVault').id, 'BackupVaultName'] };
    expect(rules.map((r) => r.RuleName)).toEqual(['Continuous', 'Daily', 'Weekly', 'Monthly']);
    for (const r of rules) {
      expect(r.ScheduleExpressionTimezone).toBe('Asia/Seoul');
      expect(r.TargetBackupVault).toEqual(vault);
      expect(r.StartWindowMinutes).toBe(60);
      expect(r.CompletionWindowMinutes).toBeGreaterThan(r.StartWindowMinutes);
    }
    const [continuous, daily, weekly, monthly] = rules as [Cfn, Cfn, Cfn, Cfn];
    expect(continuous).toMatchObject({
      EnableContinuousBackup: true,
      ScheduleExpression: 'cron(0 2 * * ? *)',
      Lifecycle: { DeleteAfterDays: config.database.backupRetentionDays },
      CompletionWindowMinutes: 180,
    });
    expect(continuous.Lifecycle.DeleteAfterDays).toBe(prod ? 35 : 7);
    expect(continuous.CopyActions).toBeUndefined();
    expect(daily).toMatchObject({ ScheduleExpression: 'cron(0 3 * * ? *)', CompletionWindowMinutes: 180 });
    expect(weekly).toMatchObject({ ScheduleExpression: 'cron(0 4 ? * SUN *)', CompletionWindowMinutes: 180 });
    expect(monthly).toMatchObject({ ScheduleExpression: 'cron(0 6 1 * ? *)', CompletionWindowMinutes: 240 });
    const retentions = prod ? [35, 90, 180] : [7, 35, 90];
    [daily, weekly, monthly].forEach((r, i) => {
      expect(r.EnableContinuousBackup).toBeUndefined();
      expect(r.Lifecycle).toEqual({ DeleteAfterDays: retentions[i] });
    });
  });

  it('copies every snapshot to the DR-region vault (a cross-region reference) with the copy retention', () => {
    const rules = only(template, 'AWS::Backup::BackupPlan').props.BackupPlan.BackupPlanRule as Record<string, Cfn>[];
    const copies = prod ? [35, 90, 180] : [7, 35, 90];
    rules.slice(1).forEach((r, i) => {
      expect(r.CopyActions).toHaveLength(1);
      const [copy] = r.CopyActions;
      expect(copy.Lifecycle).toEqual({ DeleteAfterDays: copies[i] });
      // The DR stack's vault (pinned id BackupVaultF6ACEBC2), read from the DR region's exports.
      expect(copy.DestinationBackupVaultArn['Fn::GetAtt'][0]).toMatch(/^ExportsReader/);
      expect(copy.DestinationBackupVaultArn['Fn::GetAtt'][1]).toMatch(/drregion.*BackupVaultF6ACEBC2BackupVaultArn/);
    });
  });

  it('selects exactly the database instance by its ARN, with a role holding only the two AWS Backup policies', () => {
    const selection = only(template, 'AWS::Backup::BackupSelection').props.BackupSelection;
    expect(selection.ListOfTags).toBeUndefined();
    expect(selection.Conditions).toBeUndefined();
    expect(selection.Resources).toHaveLength(1);
    expect(text(selection.Resources[0])).toBe(
      `arn:aws:rds:ap-northeast-2:${account}:db:` +
        JSON.stringify({ 'Fn::ImportValue': `authdb-dr-${env}-database:ExportsOutputRefDatabaseF44359DD0191FD1B` }),
    );
    const roleId = selection.IamRoleArn['Fn::GetAtt'][0] as string;
    const role = template.toJSON().Resources[roleId] as CfnResource;
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'backup.amazonaws.com' } },
    ]);
    expect(managedPolicyNames(role)).toEqual([
      'service-role/AWSBackupServiceRolePolicyForBackup',
      'service-role/AWSBackupServiceRolePolicyForRestores',
    ]);
    expect(role.Properties.Policies).toBeUndefined();
    const inlinePolicies = all(template, 'AWS::IAM::Policy').filter(([, p]) =>
      JSON.stringify(p.Properties.Roles).includes(roleId),
    );
    expect(inlinePolicies).toEqual([]);
  });

  it('sends alerts to an SNS topic encrypted with its own key, TLS only, with the e-mail subscriptions of config', () => {
    const topic = only(template, 'AWS::SNS::Topic');
    expect(topic.props.TopicName).toBe(`authdb-dr-${env}-backup-alerts`);
    expect(topic.props.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId('AlertsKey'), 'Arn'] });
    const policy = only(template, 'AWS::SNS::TopicPolicy').props.PolicyDocument.Statement as Record<string, Cfn>[];
    expect(policy).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'sns:Publish',
        Principal: '*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    const publishers = policy.filter((s) => s.Effect === 'Allow').map((s) => s.Principal.Service);
    expect(publishers.sort()).toEqual(['events.amazonaws.com', 'events.rds.amazonaws.com']);
    const subscriptions = all(template, 'AWS::SNS::Subscription').map(([, s]) => s.Properties);
    expect(subscriptions).toEqual(
      config.alerts.emails.map((email) => ({ Protocol: 'email', Endpoint: email, TopicArn: { Ref: topic.id } })),
    );
    const key = template.toJSON().Resources[keyId('AlertsKey')] as CfnResource;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    const services = (key.Properties.KeyPolicy.Statement as Record<string, Cfn>[])
      .filter((s) => s.Principal.Service)
      .map((s) => [s.Principal.Service, s.Action]);
    expect(services).toEqual([
      ['events.amazonaws.com', ['kms:Decrypt', 'kms:GenerateDataKey*']],
      ['events.rds.amazonaws.com', ['kms:Decrypt', 'kms:GenerateDataKey*']],
    ]);
  });

  it.each([
    ['Backup Job State Change', 'state', ['FAILED', 'ABORTED', 'EXPIRED'], 'backupJobId', 'resourceArn'],
    ['Copy Job State Change', 'state', ['FAILED'], 'copyJobId', 'destinationBackupVaultArn'],
    ['Restore Job State Change', 'status', ['FAILED'], 'restoreJobId', 'recoveryPointArn'],
  ])(
    'has one EventBridge rule for %s on detail.%s with a readable message',
    (detailType, field, states, job, resource) => {
      const rules = all(template, 'AWS::Events::Rule').filter(([, r]) =>
        r.Properties.EventPattern['detail-type'].includes(detailType),
      );
      expect(rules).toHaveLength(1);
      const [, rule] = rules[0]!;
      expect(rule.Properties.EventPattern).toEqual({
        source: ['aws.backup'],
        'detail-type': [detailType],
        detail: { [field]: states },
      });
      expect(rule.Properties.Targets).toHaveLength(1);
      const [target] = rule.Properties.Targets;
      expect(target.Arn).toEqual({ Ref: only(template, 'AWS::SNS::Topic').id });
      const paths = target.InputTransformer.InputPathsMap as Record<string, string>;
      for (const p of [job, field, 'resourceType', resource, 'statusMessage']) {
        expect(paths[`detail-${p}`]).toBe(`$.detail.${p}`);
        expect(target.InputTransformer.InputTemplate).toContain(`<detail-${p}>`);
      }
    },
  );

  it('has exactly the three job-failure rules (no deprecated vault notifications)', () => {
    expect(all(template, 'AWS::Events::Rule').filter(([id]) => id.startsWith('Alerts'))).toHaveLength(3);
    expect(only(template, 'AWS::Backup::BackupVault').props.Notifications).toBeUndefined();
  });

  it("subscribes the topic to the database's failure, recovery, restoration and backup events", () => {
    const subscription = only(template, 'AWS::RDS::EventSubscription').props;
    expect(subscription).toMatchObject({
      SourceType: 'db-instance',
      SourceIds: [{ 'Fn::ImportValue': `authdb-dr-${env}-database:ExportsOutputRefDatabaseF44359DD0191FD1B` }],
      EventCategories: ['failure', 'recovery', 'restoration', 'backup'],
      SnsTopicArn: { Ref: only(template, 'AWS::SNS::Topic').id },
      Enabled: true,
    });
  });

  it('audits the database with the controls of the design, scoped to RDS and to this vault and plan', () => {
    const framework = only(template, 'AWS::Backup::Framework').props;
    expect(framework.FrameworkName).toBe(`authdb_dr_${env}`);
    const controls = Object.fromEntries(
      (framework.FrameworkControls as Record<string, Cfn>[]).map((c) => [
        c.ControlName,
        {
          parameters: Object.fromEntries(
            (c.ControlInputParameters ?? []).map((p: Cfn) => [p.ParameterName, text(p.ParameterValue)]),
          ),
          scope: c.ControlScope,
        },
      ]),
    );
    const rds = { ComplianceResourceTypes: ['RDS'] };
    expect(controls).toEqual({
      BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN: { parameters: {}, scope: rds },
      BACKUP_RECOVERY_POINT_ENCRYPTED: { parameters: {}, scope: rds },
      BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED: {
        parameters: { principalArnList: `arn:aws:iam::${account}:role/authdb-dr-break-glass` },
        scope: {
          ComplianceResourceTypes: ['AWS::Backup::BackupVault'],
          ComplianceResourceIds: [{ 'Fn::GetAtt': [only(template, 'AWS::Backup::BackupVault').id, 'BackupVaultName'] }],
        },
      },
      BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK: {
        parameters: {
          requiredFrequencyUnit: 'days',
          requiredFrequencyValue: '1',
          requiredRetentionDays: String(prod ? 35 : 7),
        },
        scope: {
          ComplianceResourceTypes: ['AWS::Backup::BackupPlan'],
          ComplianceResourceIds: [{ 'Fn::GetAtt': [only(template, 'AWS::Backup::BackupPlan').id, 'BackupPlanId'] }],
        },
      },
      BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK: { parameters: {}, scope: rds },
      BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION: { parameters: { crossRegionList: 'ap-northeast-1' }, scope: rds },
      // The RTO target (15 minutes), evaluated on the restore-testing jobs.
      RESTORE_TIME_FOR_RESOURCES_MEET_TARGET: { parameters: { maxRestoreTime: '15' }, scope: rds },
    });
  });

  it('writes daily job and compliance reports into an encrypted, versioned, TLS-only, private, retained bucket', () => {
    const bucket = only(template, 'AWS::S3::Bucket', 'AuditReports5');
    expect(bucket.resource.DeletionPolicy).toBe('Retain');
    expect(bucket.props).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [keyId('AuditReportKey'), 'Arn'] },
            },
          },
        ],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    expect(bucket.props.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({ ExpirationInDays: config.backup.reportRetentionDays, Status: 'Enabled' }),
    );
    const statements = all(template, 'AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === bucket.id)![1]
      .Properties.PolicyDocument.Statement as Record<string, Cfn>[];
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    const reports = statements.find((s) => s.Sid === 'AllowBackupAuditManagerReports')!;
    expect(reports.Action).toBe('s3:PutObject');
    expect(text(reports.Condition.ArnEquals['aws:PrincipalArn'])).toBe(
      `arn:aws:iam::${account}:role/aws-service-role/reports.backup.amazonaws.com/AWSServiceRoleForBackupReports`,
    );

    const plans = all(template, 'AWS::Backup::ReportPlan').map(([, p]) => p.Properties);
    expect(plans.map((p) => p.ReportSetting.ReportTemplate).sort()).toEqual([
      'BACKUP_JOB_REPORT',
      'CONTROL_COMPLIANCE_REPORT',
      'COPY_JOB_REPORT',
      'RESTORE_JOB_REPORT',
    ]);
    for (const p of plans) expect(p.ReportDeliveryChannel.S3BucketName).toEqual({ Ref: bucket.id });
    const compliance = plans.find((p) => p.ReportSetting.ReportTemplate === 'CONTROL_COMPLIANCE_REPORT')!;
    expect(compliance.ReportSetting.FrameworkArns).toEqual([
      { 'Fn::GetAtt': [only(template, 'AWS::Backup::Framework').id, 'FrameworkArn'] },
    ]);
  });

  it('tests a restore monthly into the database subnet group, a closed security group and a small class', () => {
    const plan = only(template, 'AWS::Backup::RestoreTestingPlan').props;
    expect(plan).toMatchObject({
      ScheduleExpression: 'cron(0 11 ? * 3#1 *)',
      ScheduleExpressionTimezone: 'Asia/Seoul',
      RecoveryPointSelection: {
        Algorithm: 'LATEST_WITHIN_WINDOW',
        IncludeVaults: [{ 'Fn::GetAtt': [only(template, 'AWS::Backup::BackupVault').id, 'BackupVaultArn'] }],
        RecoveryPointTypes: ['SNAPSHOT'],
      },
    });
    const selection = only(template, 'AWS::Backup::RestoreTestingSelection');
    const sg = only(template, 'AWS::EC2::SecurityGroup');
    expect(selection.props).toMatchObject({
      RestoreTestingPlanName: plan.RestoreTestingPlanName,
      ProtectedResourceType: 'RDS',
      ValidationWindowHours: config.backup.restoreTesting.validationWindowHours,
      RestoreMetadataOverrides: {
        dbinstanceclass: 'db.t4g.medium',
        dbsubnetgroupname: {
          'Fn::ImportValue': `authdb-dr-${env}-database:ExportsOutputRefDatabaseSubnets56F17B9A1D25F5EF`,
        },
      },
    });
    expect(text(selection.props.RestoreMetadataOverrides.vpcsecuritygroupids)).toBe(
      `["${JSON.stringify({ 'Fn::GetAtt': [sg.id, 'GroupId'] })}"]`,
    );
    expect(text(selection.props.ProtectedResourceArns[0])).toContain('DatabaseF44359DD');
    expect(selection.resource.DependsOn).toContain(only(template, 'AWS::Backup::RestoreTestingPlan').id);
    // Nothing in, nothing out (CDK's placeholder egress rule matches no traffic).
    expect(sg.props.SecurityGroupIngress).toBeUndefined();
    expect(sg.props.SecurityGroupEgress).toEqual([
      {
        CidrIp: '255.255.255.255/32',
        Description: 'Disallow all traffic',
        FromPort: 252,
        IpProtocol: 'icmp',
        ToPort: 86,
      },
    ]);
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    template.resourceCountIs('AWS::EC2::SecurityGroupEgress', 0);
    const role = template.toJSON().Resources[selection.props.IamRoleArn['Fn::GetAtt'][0]] as CfnResource;
    expect(managedPolicyNames(role)).toEqual(['service-role/AWSBackupServiceRolePolicyForRestores']);
  });

  it('pins the logical ids of the vault and its key', () => {
    expect(only(template, 'AWS::Backup::BackupVault').id).toBe('Vault47927EF3');
    expect(keyId('VaultKey')).toBe('VaultKey15AFE465');
  });
});

describe('backup stack (staging)', () => {
  it('locks the vault in governance mode: a retention range with no cooling-off date', () => {
    const lock = only(templateOf('staging', 'backup'), 'AWS::Backup::BackupVault').props.LockConfiguration;
    expect(lock).toEqual({ MinRetentionDays: 7, MaxRetentionDays: 365 });
    expect(lock.ChangeableForDays).toBeUndefined();
  });
});

describe('database backup plan construct', () => {
  it("rejects a continuous retention other than the database's backup retention, naming both", () => {
    const { backup, database, drRegion } = environmentStacks('dev');
    const config = loadConfig('dev');
    expect(
      () =>
        new DatabaseBackupPlan(backup, 'Mismatch', {
          planName: 'mismatch',
          database: database.database.instance,
          vault: backup.vault,
          copyVault: drRegion.backupVault,
          timeZone: TimeZone.ASIA_SEOUL,
          continuous: {
            retention: Duration.days(35),
            schedule: config.backup.continuous.schedule,
            startWindow: Duration.hours(1),
            completionWindow: Duration.hours(3),
          },
          snapshotRules: [],
        }),
    ).toThrow(
      /continuous rule's retention \(35 days\) must equal the database's backup retention \(BackupRetentionPeriod 7 days\)/,
    );
  });
});
