import { type Duration, type TimeZone, Token, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';

/** AWS-managed policies of the backup role: what AWS Backup needs to back up, copy and restore the database. */
export const BACKUP_ROLE_POLICIES = [
  'service-role/AWSBackupServiceRolePolicyForBackup',
  'service-role/AWSBackupServiceRolePolicyForRestores',
] as const;

/** When a rule starts and how long its job may take. */
export interface BackupWindow {
  /** A cron expression, in the plan's time zone. */
  readonly schedule: string;
  /** How long after the scheduled time the job may start. */
  readonly startWindow: Duration;
  /** How long after the scheduled time the job must be done. */
  readonly completionWindow: Duration;
}

export interface SnapshotRule extends BackupWindow {
  readonly name: string;
  readonly retention: Duration;
  /** Retention of the copy in the copy vault. */
  readonly copyRetention: Duration;
}

export interface DatabaseBackupPlanProps {
  readonly planName: string;
  readonly database: rds.IDatabaseInstance;
  /** Where every rule writes. */
  readonly vault: backup.IBackupVault;
  /** Where every snapshot rule copies to (the DR-region vault). */
  readonly copyVault: backup.IBackupVault;
  /** Time zone of every schedule: AWS Backup converts, so schedules stay in local time across DST changes. */
  readonly timeZone: TimeZone;
  /**
   * Continuous backup (point-in-time recovery). Its retention must equal the database's backup retention: once AWS
   * Backup covers the instance, RDS accepts no other value and CloudFormation would drift.
   */
  readonly continuous: BackupWindow & { readonly retention: Duration };
  readonly snapshotRules: SnapshotRule[];
}

/**
 * The database's AWS Backup plan: continuous backup plus snapshot tiers, each snapshot copied to the DR-region
 * vault, and a selection of the database by ARN with a role that holds only the AWS Backup managed policies.
 */
export class DatabaseBackupPlan extends Construct {
  readonly plan: backup.BackupPlan;
  readonly selection: backup.BackupSelection;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: DatabaseBackupPlanProps) {
    super(scope, id);
    validate(this, props);
    this.plan = new backup.BackupPlan(this, 'Resource', { backupPlanName: props.planName, backupVault: props.vault });
    this.plan.addRule(
      new backup.BackupPlanRule({
        ruleName: 'Continuous',
        enableContinuousBackup: true,
        deleteAfter: props.continuous.retention,
        ...windowProps(props.continuous, props.timeZone),
      }),
    );
    for (const rule of props.snapshotRules) {
      this.plan.addRule(
        new backup.BackupPlanRule({
          ruleName: rule.name,
          deleteAfter: rule.retention,
          copyActions: [{ destinationBackupVault: props.copyVault, deleteAfter: rule.copyRetention }],
          ...windowProps(rule, props.timeZone),
        }),
      );
    }

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      description: `AWS Backup: backs up, copies and restores the database of plan ${props.planName}`,
      managedPolicies: BACKUP_ROLE_POLICIES.map((name) => iam.ManagedPolicy.fromAwsManagedPolicyName(name)),
    });
    for (const name of BACKUP_ROLE_POLICIES) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`,
        reason:
          'AWS maintains this policy for the AWS Backup service role as RDS and AWS Backup change; the role is ' +
          'assumable only by backup.amazonaws.com and is named only in this plan selection.',
      });
    }
    this.selection = this.plan.addSelection('Database', {
      backupSelectionName: 'database',
      resources: [backup.BackupResource.fromRdsDatabaseInstance(props.database)],
      role: this.role,
      // The role already carries exactly the two policies it needs.
      disableDefaultBackupPolicy: true,
    });
  }
}

function windowProps(window: BackupWindow, timeZone: TimeZone): Partial<backup.BackupPlanRuleProps> {
  return {
    scheduleExpression: events.Schedule.expression(window.schedule),
    scheduleExpressionTimezone: timeZone,
    startWindow: window.startWindow,
    completionWindow: window.completionWindow,
  };
}

function validate(scope: Construct, props: DatabaseBackupPlanProps): void {
  const continuous = props.continuous.retention.toDays();
  const cfn = props.database.node.defaultChild as rds.CfnDBInstance | undefined;
  const databaseRetention = cfn?.backupRetentionPeriod;
  if (typeof databaseRetention === 'number' && !Token.isUnresolved(databaseRetention)) {
    if (databaseRetention !== continuous) {
      throw new Error(
        `${scope.node.path}: the continuous rule's retention (${continuous} days) must equal the database's ` +
          `backup retention (BackupRetentionPeriod ${databaseRetention} days): once AWS Backup takes over the ` +
          'automated backups RDS accepts no other value; set both from database.backupRetentionDays',
      );
    }
  }
}
