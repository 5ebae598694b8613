import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { dumpBucketName } from '../../contract/logical-dump.js';
import { AuditEventForwarder } from '../constructs/audit-alerts.js';
import { EncryptionKey } from '../constructs/encryption-key.js';
import { LogicalBackupBucket } from '../constructs/logical-backup-bucket.js';
import { EnvironmentStack, type EnvironmentStackProps } from './environment-stack.js';

/**
 * Logical backups in the DR region: the replica bucket (its own key, the same lock) and the multi-Region key that
 * wraps every archive's data key. The key's primary lives here, so the archives stay decryptable when the primary
 * region is lost; the primary region uses a replica of it. Stateful.
 */
export class LogicalBackupDrStack extends EnvironmentStack {
  readonly bucketKey: kms.IKey;
  readonly dumpKey: kms.Key;

  constructor(scope: Construct, id: string, props: EnvironmentStackProps) {
    super(scope, id, props);
    const { config } = props;
    const l = config.logicalBackup;
    this.dumpKey = new EncryptionKey(this, 'DumpKey', {
      alias: `authdb-dr/${config.name}/logical-dumps`,
      description: `authdb ${config.name}: wraps the data keys of logical dump archives (multi-Region primary)`,
      administration: this.keyAdministration,
      multiRegion: true,
    }).key;
    const replica = new LogicalBackupBucket(this, 'Dumps', {
      bucketName: dumpBucketName(config.name, this.account, this.region),
      keyAlias: `authdb-dr/${config.name}/logical-dump-replica-bucket`,
      description: `authdb ${config.name}: replica bucket of the logical dumps (${config.drRegion})`,
      keyAdministration: this.keyAdministration,
      lockMode: l.objectLockMode,
      lockRetention: Duration.days(l.retentionDays),
      standardFor: Duration.days(l.standardDays),
      expireAfter: Duration.days(l.longTermRetentionDays),
    });
    this.bucketKey = replica.key;
    // CloudTrail events of these keys reach EventBridge in this region only: forwarded to the logical backup stack's
    // key alerts (the region's backup events are forwarded once, by the DR region stack).
    new AuditEventForwarder(this, 'AuditEvents', {
      keys: [this.bucketKey, this.dumpKey],
      alertRegion: config.primaryRegion,
      backupEvents: false,
    });
  }
}
