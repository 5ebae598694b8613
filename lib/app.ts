import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';
import { resourcePrefix } from '../contract/names.js';
import type { EnvironmentConfig } from './config/schema.js';
import { BackupStack } from './stacks/backup-stack.js';
import { DatabaseStack } from './stacks/database-stack.js';
import { DrRegionStack } from './stacks/dr-region-stack.js';
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
  return { drRegion, database, backup, recovery, logicalBackupDr, logicalBackup };
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
