import { type Duration, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EncryptionKey, type KeyAdministration } from './encryption-key.js';
import { ReportBucket } from './report-bucket.js';

/** Reports delivered every day into the bucket. */
export const REPORT_TEMPLATES = [
  'BACKUP_JOB_REPORT',
  'COPY_JOB_REPORT',
  'RESTORE_JOB_REPORT',
  'CONTROL_COMPLIANCE_REPORT',
] as const;

export interface BackupAuditProps {
  /** Letters, digits and underscores; names the framework and prefixes the report plans. */
  readonly name: string;
  /** Alias of the report bucket's key, without the `alias/` prefix. */
  readonly keyAlias: string;
  /** The vault whose recovery points must not be deletable by hand. */
  readonly vault: backup.IBackupVault;
  readonly plan: backup.IBackupPlan;
  /** The only role allowed to delete recovery points. */
  readonly breakGlassRole: iam.IRole;
  /** Region the recovery points must be copied to. */
  readonly copyRegion: string;
  /** The plan must keep a daily recovery point at least this long. */
  readonly minRetention: Duration;
  /** Restore tests must finish within this time (the RTO target). */
  readonly maxRestoreTime: Duration;
  readonly reportRetention: Duration;
  /** The roles exempt from the denies of the report key's policy. */
  readonly keyAdministration: KeyAdministration;
}

/**
 * AWS Backup Audit Manager for the database: a framework of controls (encryption, manual deletion disabled,
 * frequency and retention, vault lock, cross-region copy, restore time) and daily reports into an encrypted,
 * versioned, TLS-only bucket. The controls evaluate only where AWS Config records resources in the region.
 */
export class BackupAudit extends Construct {
  readonly framework: backup.CfnFramework;
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: BackupAuditProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const onlyRds = { ComplianceResourceTypes: ['RDS'] };
    const parameters = (values: Record<string, string>) =>
      Object.entries(values).map(([parameterName, parameterValue]) => ({ parameterName, parameterValue }));

    this.framework = new backup.CfnFramework(this, 'Framework', {
      frameworkName: props.name,
      frameworkDescription: 'authdb-dr: the database is backed up, encrypted, locked, copied and restorable in time',
      frameworkControls: [
        { controlName: 'BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN', controlScope: onlyRds },
        { controlName: 'BACKUP_RECOVERY_POINT_ENCRYPTED', controlScope: onlyRds },
        {
          controlName: 'BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED',
          controlInputParameters: parameters({ principalArnList: props.breakGlassRole.roleArn }),
          controlScope: {
            ComplianceResourceTypes: ['AWS::Backup::BackupVault'],
            ComplianceResourceIds: [props.vault.backupVaultName],
          },
        },
        {
          controlName: 'BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK',
          controlInputParameters: parameters({
            requiredFrequencyUnit: 'days',
            requiredFrequencyValue: '1',
            requiredRetentionDays: String(props.minRetention.toDays()),
          }),
          controlScope: {
            ComplianceResourceTypes: ['AWS::Backup::BackupPlan'],
            ComplianceResourceIds: [props.plan.backupPlanId],
          },
        },
        { controlName: 'BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK', controlScope: onlyRds },
        {
          controlName: 'BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION',
          controlInputParameters: parameters({ crossRegionList: props.copyRegion }),
          controlScope: onlyRds,
        },
        {
          // Evaluates the restore-testing jobs; minutes.
          controlName: 'RESTORE_TIME_FOR_RESOURCES_MEET_TARGET',
          controlInputParameters: parameters({ maxRestoreTime: String(props.maxRestoreTime.toMinutes()) }),
          controlScope: onlyRds,
        },
      ],
    });

    this.key = new EncryptionKey(this, 'ReportKey', {
      alias: props.keyAlias,
      description: `${props.name}: AWS Backup Audit Manager reports`,
      administration: props.keyAdministration,
    }).key;
    this.bucket = new ReportBucket(this, 'Reports', {
      key: this.key,
      retention: props.reportRetention,
      writtenBy: 'AWS Backup Audit Manager (one report a template a day), read by auditors',
      whyNoReplication:
        'Reports are derived data: AWS Backup regenerates them from its job history and AWS Config on demand ' +
        '(StartReportJob); the bucket is versioned and retained, so a second-region copy would protect nothing new.',
    }).bucket;

    // Audit Manager writes with its service-linked role, which exists only after the first report plan: a policy
    // naming it as principal would fail ("Invalid principal"), so the statements match its ARN in a condition.
    const reportsRole =
      `arn:${stack.partition}:iam::${stack.account}:role/aws-service-role/reports.backup.amazonaws.com/` +
      'AWSServiceRoleForBackupReports';
    const bucketPolicy = this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowBackupAuditManagerReports',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
        conditions: {
          ArnEquals: { 'aws:PrincipalArn': reportsRole },
          StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:PrincipalAccount': stack.account },
        },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowBackupAuditManagerReports',
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:GenerateDataKey', 'kms:Encrypt'],
        resources: ['*'],
        conditions: {
          ArnEquals: { 'aws:PrincipalArn': reportsRole },
          StringEquals: { 'kms:CallerAccount': stack.account, 'kms:ViaService': `s3.${stack.region}.amazonaws.com` },
        },
      }),
    );

    for (const template of REPORT_TEMPLATES) {
      const plan = new backup.CfnReportPlan(this, template, {
        reportPlanName: `${props.name}_${template.toLowerCase()}`,
        reportPlanDescription: `authdb-dr: daily ${template} into the audit bucket`,
        reportDeliveryChannel: {
          S3BucketName: this.bucket.bucketName,
          S3KeyPrefix: 'backup-audit',
          Formats: ['CSV', 'JSON'],
        },
        reportSetting:
          template === 'CONTROL_COMPLIANCE_REPORT'
            ? { ReportTemplate: template, FrameworkArns: [this.framework.attrFrameworkArn] }
            : { ReportTemplate: template },
      });
      if (bucketPolicy.policyDependable) plan.node.addDependency(bucketPolicy.policyDependable);
    }
  }
}
