import { type Duration, Stack, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';

export const RESTORE_ROLE_POLICY = 'service-role/AWSBackupServiceRolePolicyForRestores';

export interface DatabaseRestoreTestingProps {
  /** Letters, digits and underscores; names the plan. */
  readonly planName: string;
  /** A cron expression in `timeZone`. */
  readonly schedule: string;
  /** IANA name, e.g. Asia/Seoul. */
  readonly timeZone: string;
  /** Vault whose newest snapshot is restored. */
  readonly vault: backup.IBackupVault;
  readonly database: rds.IDatabaseInstance;
  /** The restored instance goes into the database's own subnet group. */
  readonly subnetGroup: rds.ISubnetGroup;
  readonly vpc: ec2.IVpc;
  /** A small class: the test proves the snapshot restores, not production performance. */
  readonly instanceClass: string;
  /** How long the restored instance is kept for validation before AWS Backup deletes it. */
  readonly validationWindow: Duration;
  /** Only recovery points this recent are picked. @default 7 days */
  readonly selectionWindowDays?: number;
}

/**
 * AWS Backup restore testing for the database: on a schedule, the newest snapshot in the vault is restored into a
 * small instance in the database's isolated subnets (a security group that admits only what the recovery stack's
 * RestoreTestValidation adds: its verifier), validated by it, kept for the validation window, then deleted. The restore-time control of the audit framework evaluates these jobs.
 */
export class DatabaseRestoreTesting extends Construct {
  readonly plan: backup.CfnRestoreTestingPlan;
  readonly selection: backup.CfnRestoreTestingSelection;
  readonly securityGroup: ec2.SecurityGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: DatabaseRestoreTestingProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'authdb restore tests: the restored instance admits only the validation, reaches nothing',
      allowAllOutbound: false,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      description: `AWS Backup restore testing plan ${props.planName}: restores the database's snapshots`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(RESTORE_ROLE_POLICY)],
    });
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${RESTORE_ROLE_POLICY}]`,
      reason:
        'The AWS-maintained restore policy AWS Backup documents for restore testing; the role is assumable only by ' +
        'backup.amazonaws.com and used only by this restore testing selection.',
    });

    this.plan = new backup.CfnRestoreTestingPlan(this, 'Resource', {
      restoreTestingPlanName: props.planName,
      scheduleExpression: props.schedule,
      scheduleExpressionTimezone: props.timeZone,
      startWindowHours: 4,
      recoveryPointSelection: {
        algorithm: 'LATEST_WITHIN_WINDOW',
        includeVaults: [props.vault.backupVaultArn],
        recoveryPointTypes: ['SNAPSHOT'],
        selectionWindowDays: props.selectionWindowDays ?? 7,
      },
    });
    this.selection = new backup.CfnRestoreTestingSelection(this, 'Database', {
      restoreTestingPlanName: props.planName,
      restoreTestingSelectionName: 'database',
      protectedResourceType: 'RDS',
      protectedResourceArns: [props.database.instanceArn],
      iamRoleArn: this.role.roleArn,
      restoreMetadataOverrides: {
        dbinstanceclass: props.instanceClass,
        dbsubnetgroupname: props.subnetGroup.subnetGroupName,
        vpcsecuritygroupids: Stack.of(this).toJsonString([this.securityGroup.securityGroupId]),
      },
      validationWindowHours: props.validationWindow.toHours(),
    });
    this.selection.node.addDependency(this.plan);
  }
}
