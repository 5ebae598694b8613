import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';
import { resourcePrefix } from '../contract/names.js';
import type { EnvironmentConfig } from './config/schema.js';
import { BackupStack } from './stacks/backup-stack.js';
import { DatabaseStack } from './stacks/database-stack.js';
import { DrDrillStack } from './stacks/dr-drill-stack.js';
import { DrRecoveryStack } from './stacks/dr-recovery-stack.js';
import { DrRegionStack } from './stacks/dr-region-stack.js';
import { DrStandbyStack } from './stacks/dr-standby-stack.js';
import { LogicalBackupDrStack } from './stacks/logical-backup-dr-stack.js';
import { LogicalBackupStack } from './stacks/logical-backup-stack.js';
import { RecoveryStack } from './stacks/recovery-stack.js';

/** The stacks of one environment. */
export interface EnvironmentStacks {
  readonly drRegion: DrRegionStack;
  readonly database: DatabaseStack;
  readonly backup: BackupStack;
  readonly recovery: RecoveryStack;
  readonly logicalBackupDr: LogicalBackupDrStack;
  readonly logicalBackup: LogicalBackupStack;
  readonly drStandby: DrStandbyStack;
  readonly drRecovery: DrRecoveryStack;
  /** The monthly DR-region drill, when `drRegionDrill.enabled`. */
  readonly drDrill?: DrDrillStack;
}

/** Builds every stack of one environment (primary region and DR region) from its validated config. */
export function buildEnvironment(app: App, config: EnvironmentConfig): EnvironmentStacks {
  const prefix = resourcePrefix(config.name);
  const drRegion = new DrRegionStack(app, `${prefix}-dr-region`, {
    config,
    zones: config.availabilityZones.dr,
    env: { account: config.account, region: config.drRegion },
    terminationProtection: config.terminationProtection,
    crossRegionReferences: true,
    description: `authdb-dr ${config.name}: keys and backup vault in the DR region (${config.drRegion})`,
  });
  const database = new DatabaseStack(app, `${prefix}-database`, {
    config,
    zones: config.availabilityZones.primary,
    env: { account: config.account, region: config.primaryRegion },
    terminationProtection: config.terminationProtection,
    crossRegionReferences: true,
    replicationKey: drRegion.replicationKey,
    description: `authdb-dr ${config.name}: the authentication database (RDS PostgreSQL 15), its key and network`,
  });
  database.addStackDependency(drRegion, 'the replicated backups are encrypted with the DR-region key');
  const backup = new BackupStack(app, `${prefix}-backup`, {
    config,
    zones: config.availabilityZones.primary,
    env: { account: config.account, region: config.primaryRegion },
    terminationProtection: config.terminationProtection,
    crossRegionReferences: true,
    database: database.database.instance,
    subnetGroup: database.database.subnetGroup,
    vpc: database.vpc,
    drVault: drRegion.backupVault,
    watchedKeys: [database.key, drRegion.replicationKey, drRegion.backupVaultKey],
    description: `authdb-dr ${config.name}: AWS Backup vault, plan, alerts, restore testing and audit of the database`,
  });
  const recovery = new RecoveryStack(app, `${prefix}-recovery`, {
    config,
    zones: config.availabilityZones.primary,
    env: { account: config.account, region: config.primaryRegion },
    vpc: database.vpc,
    database: database.database,
    key: database.key,
    alertTopic: backup.alertTopic,
    restoreTesting: {
      planArn: backup.restoreTesting.plan.attrRestoreTestingPlanArn,
      securityGroup: backup.restoreTesting.securityGroup,
    },
    drKey: drRegion.replicationKey,
    delayedReplica: database.delayedReplica,
    crossRegionReferences: true,
    description: `authdb-dr ${config.name}: DR drill and restore workflows (stateless)`,
  });
  const { logicalBackupDr, logicalBackup } = buildLogicalBackup(app, config, prefix, database, backup);
  // The task pulls its image layers from S3 through the gateway endpoint the recovery stack adds to the VPC.
  logicalBackup.addStackDependency(recovery, 'the S3 gateway endpoint the dump task pulls its image through');
  const { drStandby, drRecovery, drDrill } = buildRegionLoss(app, config, prefix, database, drRegion);
  return { drRegion, database, backup, recovery, logicalBackupDr, logicalBackup, drStandby, drRecovery, drDrill };
}

/** Region loss, all in the DR region: network and warm standby (after the database it replicates), control plane. */
function buildRegionLoss(
  app: App,
  config: EnvironmentConfig,
  prefix: string,
  database: DatabaseStack,
  drRegion: DrRegionStack,
): Pick<EnvironmentStacks, 'drStandby' | 'drRecovery' | 'drDrill'> {
  const drStandby = new DrStandbyStack(app, `${prefix}-dr-standby`, {
    config,
    zones: config.availabilityZones.dr,
    env: { account: config.account, region: config.drRegion },
    terminationProtection: config.terminationProtection,
    description: `authdb-dr ${config.name}: DR network, database key and warm standby in the DR region (${config.drRegion})`,
  });
  drStandby.addStackDependency(database, 'the standby replicates the primary instance');
  const drRecovery = new DrRecoveryStack(app, `${prefix}-dr-recovery`, {
    config,
    zones: config.availabilityZones.dr,
    env: { account: config.account, region: config.drRegion },
    site: drStandby,
    drVault: drRegion.backupVault,
    replicationKey: drRegion.replicationKey,
    drVaultKey: drRegion.backupVaultKey,
    description: `authdb-dr ${config.name}: region-loss failover workflow, alerts, reports and standby health (DR region)`,
  });
  const drDrill = config.drRegionDrill.enabled
    ? new DrDrillStack(app, `${prefix}-dr-drill`, {
        config,
        zones: config.availabilityZones.dr,
        env: { account: config.account, region: config.drRegion },
        recovery: drRecovery,
        replicationKey: drRegion.replicationKey,
        description: `authdb-dr ${config.name}: monthly DR-region drill from the replicated backups (DR region)`,
      })
    : undefined;
  return { drStandby, drRecovery, drDrill };
}

/** Logical dumps: the DR-region replica bucket and key first, then the primary bucket, task and alarms. */
function buildLogicalBackup(
  app: App,
  config: EnvironmentConfig,
  prefix: string,
  database: DatabaseStack,
  backup: BackupStack,
): Pick<EnvironmentStacks, 'logicalBackupDr' | 'logicalBackup'> {
  const logicalBackupDr = new LogicalBackupDrStack(app, `${prefix}-logical-backup-dr`, {
    config,
    zones: config.availabilityZones.dr,
    env: { account: config.account, region: config.drRegion },
    terminationProtection: config.terminationProtection,
    crossRegionReferences: true,
    description: `authdb-dr ${config.name}: logical dump replica bucket and archive key in the DR region`,
  });
  const logicalBackup = new LogicalBackupStack(app, `${prefix}-logical-backup`, {
    config,
    zones: config.availabilityZones.primary,
    env: { account: config.account, region: config.primaryRegion },
    terminationProtection: config.terminationProtection,
    crossRegionReferences: true,
    vpc: database.vpc,
    database: database.database,
    logKey: database.key,
    alertTopic: backup.alertTopic,
    replicaBucketKey: logicalBackupDr.bucketKey,
    drDumpKey: logicalBackupDr.dumpKey,
    description: `authdb-dr ${config.name}: logical dumps (pg_dump) to an Object Lock bucket, proven by a restore`,
  });
  logicalBackup.addStackDependency(
    logicalBackupDr,
    'the bucket replicates into the DR-region bucket, found by its name',
  );
  return { logicalBackupDr, logicalBackup };
}

/** Applies the cdk-nag packs: any unacknowledged finding fails synth. */
export function applyNagPacks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app), new HIPAASecurityChecks(app));
}
