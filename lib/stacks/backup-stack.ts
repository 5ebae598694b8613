import { Duration, TimeZone } from 'aws-cdk-lib';
import type * as backup from 'aws-cdk-lib/aws-backup';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { resourceName, resourcePrefix } from '../../contract/names.js';
import type { VaultLockConfig } from '../config/backup-schema.js';
import { AuditAlerts } from '../constructs/audit-alerts.js';
import { BackupAlerts } from '../constructs/backup-alerts.js';
import { BackupAudit } from '../constructs/backup-audit.js';
import { DatabaseBackupPlan } from '../constructs/backup-plan.js';
import { DatabaseRestoreTesting } from '../constructs/backup-restore-testing.js';
import { ProtectedBackupVault, type VaultLock } from '../constructs/backup-vault.js';
import { BreakGlassRole } from '../constructs/break-glass-role.js';
import { EnvironmentStack, type EnvironmentStackProps } from './environment-stack.js';

export interface BackupStackProps extends EnvironmentStackProps {
  readonly database: rds.IDatabaseInstance;
  /** Restore tests restore into the database's subnet group. */
  readonly subnetGroup: rds.ISubnetGroup;
  readonly vpc: ec2.IVpc;
  /** The DR-region vault every snapshot rule copies to (a cross-region reference). */
  readonly drVault: backup.IBackupVault;
  /** The database's key and the DR-region keys, watched by the audit alerts with this stack's own keys. */
  readonly watchedKeys: kms.IKey[];
}

/**
 * AWS Backup in the primary region: the locked, encrypted vault and its key, the plan (continuous + snapshot tiers
 * copied to the DR region) and its selection of the database, failure alerts, restore testing and the audit
 * framework with its reports. Stateful (vault, keys, report bucket).
 */
export class BackupStack extends EnvironmentStack {
  readonly vault: backup.IBackupVault;
  readonly vaultKey: kms.IKey;
  readonly plan: DatabaseBackupPlan;
  /** Backup, copy, restore and database failures; the DR drill reports here too. */
  readonly alertTopic: sns.ITopic;
  readonly restoreTesting: DatabaseRestoreTesting;
  readonly audit: BackupAudit;
  /** The only principal that may destroy the keys or delete recovery points (MFA, principals from config). */
  readonly breakGlass: BreakGlassRole;
  /** CloudTrail alerts on the keys, the vaults and plans, and the production instance. */
  readonly auditAlerts: AuditAlerts;

  constructor(scope: Construct, id: string, props: BackupStackProps) {
    super(scope, id, props);
    const { config } = props;
    const b = config.backup;
    const prefix = resourcePrefix(config.name);
    const underscored = prefix.replace(/[^A-Za-z0-9]/g, '_');

    const vault = protectedVault(this, 'Vault', 'primary');
    this.vault = vault.vault;
    this.vaultKey = vault.key;

    // Named as every key and vault policy of the environment names it (`keyAdministration`), in both regions.
    this.breakGlass = new BreakGlassRole(this, 'BreakGlass', {
      roleName: b.breakGlassRoleName,
      trustedPrincipalArns: config.breakGlass.trustedPrincipalArns,
      maxSessionDuration: Duration.hours(config.breakGlass.maxSessionHours),
      regions: [config.primaryRegion, config.drRegion],
      keyTags: { project: 'authdb-dr', environment: config.name },
      vaults: [this.vault, props.drVault],
    });

    this.plan = new DatabaseBackupPlan(this, 'Plan', {
      planName: prefix,
      database: props.database,
      vault: this.vault,
      copyVault: props.drVault,
      timeZone: TimeZone.of(b.scheduleTimeZone),
      continuous: {
        // One value: the database's backup retention is the continuous rule's retention.
        retention: Duration.days(config.database.backupRetentionDays),
        schedule: b.continuous.schedule,
        startWindow: Duration.minutes(b.continuous.startWindowMinutes),
        completionWindow: Duration.minutes(b.continuous.completionWindowMinutes),
      },
      snapshotRules: b.rules.map((rule) => ({
        name: rule.name,
        schedule: rule.schedule,
        retention: Duration.days(rule.retentionDays),
        copyRetention: Duration.days(rule.copyRetentionDays),
        startWindow: Duration.minutes(rule.startWindowMinutes),
        completionWindow: Duration.minutes(rule.completionWindowMinutes),
      })),
    });

    const alerts = new BackupAlerts(this, 'Alerts', {
      topicName: `${prefix}-backup-alerts`,
      keyAlias: `authdb-dr/${config.name}/backup-alerts`,
      emails: config.alerts.emails,
      database: props.database,
      eventSubscriptionName: `${prefix}-database`,
      keyAdministration: this.keyAdministration,
    });
    this.alertTopic = alerts.topic;

    this.restoreTesting = new DatabaseRestoreTesting(this, 'RestoreTesting', {
      planName: `${underscored}_database`,
      schedule: b.restoreTesting.schedule,
      timeZone: b.scheduleTimeZone,
      vault: this.vault,
      database: props.database,
      subnetGroup: props.subnetGroup,
      vpc: props.vpc,
      instanceClass: b.restoreTesting.instanceClass,
      validationWindow: Duration.hours(b.restoreTesting.validationWindowHours),
    });

    this.audit = new BackupAudit(this, 'Audit', {
      name: underscored,
      keyAlias: `authdb-dr/${config.name}/backup-reports`,
      vault: this.vault,
      plan: this.plan.plan,
      breakGlassRole: vault.breakGlassRole,
      copyRegion: config.drRegion,
      minRetention: Duration.days(config.database.backupRetentionDays),
      maxRestoreTime: Duration.minutes(config.targets.rtoMinutes),
      reportRetention: Duration.days(b.reportRetentionDays),
      keyAdministration: this.keyAdministration,
    });

    this.auditAlerts = new AuditAlerts(this, 'AuditAlerts', {
      topic: this.alertTopic,
      keys: [...props.watchedKeys, this.vaultKey, alerts.key, this.audit.key],
      databaseInstanceId: props.database.instanceIdentifier,
    });
  }
}

/** The vault of this stack's region, from config: its name, key, lock and the roles exempt from its policy. */
export function protectedVault(
  scope: EnvironmentStack,
  id: string,
  which: 'primary' | 'dr',
  additionalKeyServices?: string[],
): ProtectedBackupVault {
  const { config } = scope;
  // Fits AWS Backup's 50 characters for every environment name the database accepts (at most 31 characters); a
  // longer name gets a generated vault name here and fails in the database stack with the clearer message.
  const vaultName = resourceName(config.name, which);
  return new ProtectedBackupVault(scope, id, {
    vaultName: vaultName.length <= 50 ? vaultName : undefined,
    keyAlias: `authdb-dr/${config.name}/${which === 'primary' ? 'backup-vault' : 'dr-backup-vault'}`,
    keyDescription: `authdb ${config.name}: AWS Backup vault in ${scope.region} (${which})`,
    lock: vaultLock(config.backup.vaultLock[which]),
    ...scope.keyAdministration,
    additionalKeyServices,
  });
}

function vaultLock(lock: VaultLockConfig): VaultLock {
  switch (lock.mode) {
    case 'none':
      return lock;
    case 'governance':
      return {
        mode: 'governance',
        minRetention: Duration.days(lock.minRetentionDays),
        maxRetention: Duration.days(lock.maxRetentionDays),
      };
    case 'compliance':
      return {
        mode: 'compliance',
        minRetention: Duration.days(lock.minRetentionDays),
        maxRetention: Duration.days(lock.maxRetentionDays),
        changeableFor: Duration.days(lock.changeableForDays),
      };
  }
}
