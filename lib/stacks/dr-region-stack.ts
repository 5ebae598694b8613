import type * as backup from 'aws-cdk-lib/aws-backup';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { AuditEventForwarder } from '../constructs/audit-alerts.js';
import { EncryptionKey } from '../constructs/encryption-key.js';
import { protectedVault } from './backup-stack.js';
import { EnvironmentStack, type EnvironmentStackProps } from './environment-stack.js';

/**
 * Stateful resources in the DR region: the key of the replicated automated backups, and the AWS Backup vault (with
 * its own key) that receives the copies of every snapshot rule.
 */
export class DrRegionStack extends EnvironmentStack {
  /** Encrypts the database's automated backups replicated into this region. */
  readonly replicationKey: kms.IKey;
  /** Receives the backup plan's copies; locked and access-restricted like the primary vault. */
  readonly backupVault: backup.IBackupVault;
  /** Encrypts the copies in `backupVault`. */
  readonly backupVaultKey: kms.IKey;

  constructor(scope: Construct, id: string, props: EnvironmentStackProps) {
    super(scope, id, props);
    this.replicationKey = new EncryptionKey(this, 'ReplicationKey', {
      alias: `authdb-dr/${props.config.name}/replicated-backups`,
      description: `authdb ${props.config.name}: automated backups replicated from ${props.config.primaryRegion}`,
      administration: this.keyAdministration,
    }).key;
    // RDS itself copies the database's snapshots into this vault, re-encrypting them with the vault's key.
    const vault = protectedVault(this, 'BackupVault', 'dr', ['rds']);
    this.backupVault = vault.vault;
    this.backupVaultKey = vault.key;
    // CloudTrail events of this region's keys and vault reach EventBridge here only: forwarded to the alert rules.
    new AuditEventForwarder(this, 'AuditEvents', {
      keys: [this.replicationKey, this.backupVaultKey],
      alertRegion: props.config.primaryRegion,
    });
  }
}
